package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SIGTERM with a request in flight whose upstream takes 12 s (longer than Camel's own 10 s shutdown timeout): the
 * request is answered in full, requests arriving during the drain get 503 {@code shutting_down} in the OpenAI
 * shape with Retry-After, readiness turns false at once while liveness stays up, and the process then exits.
 */
class GracefulShutdownTest {

    @Test
    void sigtermDrainsInFlightRequestsAndRefusesNewOnes() throws Exception {
        WireMockServer upstream = Upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/slow/embeddings"))
                .willReturn(okJson(fixture("azure/embeddings-2.json")).withFixedDelay(12_000)));
        try (ChildGateway gw = ChildGateway.start("""
                model_list:
                  - model_name: slow
                    litellm_params: {model: azure/slow, api_base: "http://127.0.0.1:%d", api_key: k-123456}
                """.formatted(upstream.port()), Map.of(), List.of("-Xmx256m"))) {
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return gw.post("/v1/embeddings", "{\"model\":\"slow\",\"input\":[\"a\",\"b\"]}");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (upstream.getAllServeEvents().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, upstream.getAllServeEvents().size(), "the slow request reached the upstream");
            long sent = System.nanoTime();
            gw.sigterm();
            Thread.sleep(500);

            HttpResponse<String> refused = gw.post("/v1/embeddings", "{\"model\":\"slow\",\"input\":\"c\"}");
            assertEquals(503, refused.statusCode(), refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(null));
            JsonNode error = GatewayHarness.JSON.readTree(refused.body()).get("error");
            assertEquals("shutting_down", error.get("code").asText());
            assertEquals("api_error", error.get("type").asText());
            assertEquals(503, gw.get("/health/readiness").statusCode());
            assertEquals(200, gw.get("/health/liveliness").statusCode());

            HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode data = GatewayHarness.JSON.readTree(r.body()).get("data");
            assertEquals(0.0023064255, data.get(0).get("embedding").get(0).asDouble(), 1e-9);
            assertEquals(0.25, data.get(1).get("embedding").get(0).asDouble(), 1e-9);
            long answeredAfterMs = (System.nanoTime() - sent) / 1_000_000;
            assertTrue(answeredAfterMs > 10_000, "answered " + answeredAfterMs + " ms after SIGTERM");

            gw.awaitExit(30);
            assertEquals(1, upstream.getAllServeEvents().size(), "the refused request never reached the upstream");
            assertTrue(gw.output().contains("drained: no request in flight"), gw.output());
        } finally {
            upstream.stop();
        }
    }
}
