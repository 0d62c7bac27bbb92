package dev.embeddings.gateway.provider.ollama;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.provider.ProviderChecks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.assertJson;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Ollama's /api/embed through /v1/embeddings. */
class OllamaProviderTest {

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: minilm
                    litellm_params:
                      model: ollama/all-minilm
                      keep_alive: 10m
                      max_batch_size: 2
                """, Map.of("OLLAMA_API_BASE", "http://127.0.0.1:" + upstream.port()));
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    @Test
    void apiEmbedGetsTheInputsKeepAliveAndTruncate() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/api/embed")).willReturn(aResponse().withStatus(200)
                .withBody(fixture("ollama/embed-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":[\"why is the sky blue?\","
                + "\"why is the grass green?\"],\"truncate\":false}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertFalse(req.containsHeader("Authorization"));
        assertJson("{\"model\":\"all-minilm\",\"input\":[\"why is the sky blue?\",\"why is the grass green?\"],"
                + "\"truncate\":false,\"keep_alive\":\"10m\"}", req.getBodyAsString());
        assertArrayEquals(new float[]{-0.0098027075f, 0.06042469f, 0.025257962f}, vectors(json(r))[1], 0f);
        assertEquals(8, json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void batchesOfTwoComeBackInOrder() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/api/embed")).willReturn(aResponse().withStatus(200)
                .withFixedDelay(100).withBody("{\"embeddings\":[[0,1],[1,1]],\"prompt_eval_count\":2}")));
        upstream.stubFor(post(urlPathEqualTo("/api/embed")).withRequestBody(
                com.github.tomakehurst.wiremock.client.WireMock.containing("\"c\"")).willReturn(aResponse()
                .withStatus(200).withBody("{\"embeddings\":[[2,1]],\"prompt_eval_count\":1}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":[\"a\",\"b\",\"c\"]}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] v = vectors(json(r));
        for (int i = 0; i < 3; i++) {
            assertEquals(i, v[i][0], 0f);
        }
        assertEquals(3, json(r).get("usage").get("prompt_tokens").asInt());
        assertEquals(2, upstream.findAll(postRequestedFor(urlPathEqualTo("/api/embed"))).size());
    }

    @Test
    void upstreamErrorsAreMapped() throws Exception {
        ProviderChecks.errorsAreMapped(gw, upstream, "/api/embed", "minilm", "Ollama",
                fixture("ollama/error-404.json"), null);
        upstream.stubFor(post(urlPathEqualTo("/api/embed")).willReturn(aResponse().withStatus(404)
                .withBody(fixture("ollama/error-404.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":\"x\"}");
        assertEquals(404, r.statusCode());
        assertEquals("Ollama upstream returned HTTP 404: model \"nomic-embed-text\" not found, try pulling it first",
                json(r).get("error").get("message").asText());
        upstream.stubFor(post(urlPathEqualTo("/api/embed")).willReturn(aResponse().withStatus(400)
                .withBody("{\"error\":\"the input length exceeds the context length\"}")));
        r = gw.post("/v1/embeddings", "{\"model\":\"minilm\",\"input\":\"x\"}");
        assertEquals(400, r.statusCode());
    }
}
