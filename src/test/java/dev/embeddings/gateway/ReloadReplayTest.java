package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.routing.DeploymentRouter;
import org.apache.camel.CamelContext;
import org.apache.camel.Processor;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.service.ServiceHelper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A route reloaded under a request: Camel stops the old route's steps while an exchange that slipped in is still
 * inside, and that exchange meets a stopped {@code to} ("SendProcessor has not been started"). ReloadTest races
 * real reloads against traffic; here the stopped step is made on purpose (the {@code to} of the running route is
 * stopped and started again), so that each path is taken every time: the HTTP entry route replays the request as
 * the client sent it, and the DeploymentRouter replays an attempt whose provider route was stopped.
 */
class ReloadReplayTest {

    private static final String KEY = "sk-replay-test-key";
    private static final String BODY = "{\"model\":\"mini\",\"input\":[\"A man is eating food.\",\"replayed\"]}";
    private static GatewayHarness gw;
    private static float[][] expected;
    /** Redeliveries by the HTTP entry routes' error handler (Camel's ExchangeRedeliveryEvent). */
    private static final AtomicLong edgeReplays = new AtomicLong();

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("model_list:\n  - model_name: mini\n    litellm_params:\n"
                + "      model: local/all-minilm-l6-v2\ngeneral_settings:\n  master_key: " + KEY + "\n", Map.of());
        HttpResponse<String> r = post("req-baseline");
        assertEquals(200, r.statusCode(), r.body());
        expected = GatewayHarness.vectors(GatewayHarness.json(r));
        gw.gateway.camelContext().getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.ExchangeRedeliveryEvent) {
                    edgeReplays.incrementAndGet();
                }
            }
        });
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @AfterEach
    void startEverything() {
        ServiceHelper.startService(step("call-core"), step("call-provider-local"));
    }

    private static HttpResponse<String> post(String requestId) throws Exception {
        return gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + KEY, "x-request-id", requestId);
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(String requestId) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return post(requestId);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static Processor step(String id) {
        Processor p = gw.gateway.camelContext().getProcessor(id);
        assertNotNull(p, "no step with id " + id + " in the routes");
        return p;
    }

    private static <T> T bean(String name, Class<T> type) {
        CamelContext ctx = gw.gateway.camelContext();
        return ctx.getRegistry().lookupByNameAndType(name, type);
    }

    private static void awaitAtLeast(LongSupplier counter, long value) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (counter.getAsLong() < value) {
            assertTrue(System.nanoTime() < deadline, "the request was never replayed");
            Thread.sleep(5);
        }
    }

    private static void assertServed(HttpResponse<String> r, String requestId) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(requestId, r.headers().firstValue("x-request-id").orElse(null));
        float[][] got = GatewayHarness.vectors(GatewayHarness.json(r));
        assertEquals(expected.length, got.length);
        for (int i = 0; i < got.length; i++) {
            assertArrayEquals(expected[i], got[i], "vector " + i + " after the replay");
        }
    }

    private static void assertReloading(HttpResponse<String> r) throws Exception {
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("1", r.headers().firstValue("Retry-After").orElse(null));
        JsonNode error = GatewayHarness.json(r).get("error");
        assertEquals("routes_reloading", error.get("code").asText());
        assertEquals("api_error", error.get("type").asText());
        assertFalse(r.body().contains("SendProcessor") || r.body().contains("Exception"), r.body());
    }

    @Test
    void aRequestMeetingAStoppedApiStepIsReplayedAsTheClientSentIt() throws Exception {
        long before = edgeReplays.get();
        ServiceHelper.stopService(step("call-core"));
        CompletableFuture<HttpResponse<String>> pending = postAsync("req-replayed");
        awaitAtLeast(edgeReplays::get, before + 2);
        ServiceHelper.startService(step("call-core"));
        // key, request id and body came back with the replay: parsed, authenticated and answered as the first time
        assertServed(pending.get(20, TimeUnit.SECONDS), "req-replayed");
    }

    @Test
    void anApiStepThatStaysStoppedAnswers503AfterTenReplays() throws Exception {
        long before = edgeReplays.get();
        ServiceHelper.stopService(step("call-core"));
        assertReloading(post("req-stopped"));
        assertEquals(10, edgeReplays.get() - before, "redeliveries of routes/errors.yaml's replay-on-reload");
        ServiceHelper.startService(step("call-core"));
        assertServed(post("req-after"), "req-after");
    }

    @Test
    void anAttemptMeetingAStoppedProviderRouteIsReplayedWithoutARetryOrPenalty() throws Exception {
        DeploymentRouter router = bean("deploymentRouter", DeploymentRouter.class);
        long before = router.reloadReplays();
        long edgeBefore = edgeReplays.get();
        ServiceHelper.stopService(step("call-provider-local"));
        CompletableFuture<HttpResponse<String>> pending = postAsync("req-attempt");
        awaitAtLeast(router::reloadReplays, before + 1);
        ServiceHelper.startService(step("call-provider-local"));
        HttpResponse<String> r = pending.get(20, TimeUnit.SECONDS);
        assertServed(r, "req-attempt");
        int attempts = Integer.parseInt(r.headers().firstValue("x-gateway-attempts").orElse("1"));
        assertEquals(router.reloadReplays() - before + 1, attempts, "one attempt per replay, plus the one served");
        assertEquals(edgeBefore, edgeReplays.get(), "replayed inside the core, not again from the HTTP route");
    }

    @Test
    void aProviderRouteThatStaysStoppedAnswers503WithoutReplayingAtTheEdge() throws Exception {
        DeploymentRouter router = bean("deploymentRouter", DeploymentRouter.class);
        long before = router.reloadReplays();
        long edgeBefore = edgeReplays.get();
        ServiceHelper.stopService(step("call-provider-local"));
        assertReloading(post("req-provider-stopped"));
        assertEquals(10, router.reloadReplays() - before);
        assertEquals(edgeBefore, edgeReplays.get());
        ServiceHelper.startService(step("call-provider-local"));
        // the deployment took no blame: served at once, in one attempt
        HttpResponse<String> r = post("req-provider-after");
        assertServed(r, "req-provider-after");
        assertTrue(r.headers().firstValue("x-gateway-attempts").isEmpty(), "served in one attempt");
    }
}
