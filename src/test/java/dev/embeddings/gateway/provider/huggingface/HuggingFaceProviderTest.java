package dev.embeddings.gateway.provider.huggingface;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.provider.Cl100k;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.embeddings.gateway.GatewayHarness.JSON;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hugging Face through /v1/embeddings against a WireMock upstream (TEI /embed, token-level feature-extraction
 * answers, TEI's OpenAI-format /v1): exact upstream requests, every answer shape, pooling and error mapping.
 */
class HuggingFaceProviderTest {

    static final String KEY = "hf_TestKey0123456789abcdef";
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: bge
                    litellm_params:
                      model: huggingface/BAAI/bge-small-en-v1.5
                      api_base: %1$s/embed
                      api_key: os.environ/HF_KEY
                  - model_name: open-tei
                    litellm_params:
                      model: huggingface/BAAI/bge-small-en-v1.5
                      api_base: %1$s/open/embed
                  - model_name: bert-mean
                    litellm_params:
                      model: huggingface/google-bert/bert-base-uncased
                      api_base: %1$s/bert
                      api_key: os.environ/HF_KEY
                  - model_name: bert-cls
                    litellm_params:
                      model: huggingface/google-bert/bert-base-uncased
                      api_base: %1$s/bert
                      api_key: os.environ/HF_KEY
                      pooling: cls
                  - model_name: mat
                    litellm_params:
                      model: huggingface/nomic-ai/nomic-embed-text-v1.5
                      api_base: %1$s/mat
                      api_key: os.environ/HF_KEY
                      matryoshka: true
                  - model_name: tei-openai
                    litellm_params:
                      model: huggingface/BAAI/bge-small-en-v1.5
                      api_base: %1$s/v1/
                      api_key: os.environ/HF_KEY
                  - model_name: slow
                    litellm_params:
                      model: huggingface/BAAI/bge-small-en-v1.5
                      api_base: %1$s/slow
                      timeout: 1
                """.formatted(base), Map.of("HF_KEY", KEY));
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

    private static void answer(String path, int status, String body) {
        upstream.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(status)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    private static LoggedRequest onlyRequest(String path) {
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlEqualTo(path)));
        assertEquals(1, seen.size(), "upstream calls to " + path);
        return seen.get(0);
    }

    private static JsonNode body(LoggedRequest r) throws Exception {
        return JSON.readTree(r.getBodyAsString());
    }

    @Test
    void sendsInputsWithTheKeyAndOnlyTheAllowedExtras() throws Exception {
        answer("/embed", 200, fixture("huggingface/tei-embed-2.json"));

        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":[\"first\",\"second\"],"
                        + "\"truncate\":true,\"normalize\":false,\"prompt_name\":\"query\","
                        + "\"truncation_direction\":\"Left\",\"input_type\":\"query\",\"user\":\"u-1\","
                        + "\"metadata\":{\"x\":1},\"raw_scores\":true,\"encoding_format\":\"float\"}",
                "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());

        LoggedRequest req = onlyRequest("/embed");
        assertEquals("Bearer " + KEY, req.getHeader("Authorization"));
        assertEquals(JSON.readTree("{\"inputs\":[\"first\",\"second\"],\"truncate\":true,\"normalize\":false,"
                + "\"prompt_name\":\"query\",\"truncation_direction\":\"Left\"}"), body(req));
        assertTrue(req.getHeader("Content-Type").startsWith("application/json"), req.getHeader("Content-Type"));

        JsonNode out = json(r);
        float[][] v = vectors(out);
        assertEquals(2, v.length);
        assertArrayEquals(new float[]{0.0023064255f, -0.009327292f, -0.0028842222f}, v[0], 0f);
        assertArrayEquals(new float[]{0.25f, -0.5f, 0.125f}, v[1], 0f);
        assertEquals("bge", out.get("model").asText());
        assertEquals(Cl100k.count(List.of("first", "second")), out.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void withoutExtrasTheBodyIsOnlyInputsAndNullExtrasAreAbsent() throws Exception {
        answer("/embed", 200, fixture("huggingface/tei-embed-2.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"bge\",\"input\":[\"a\",\"b\"],\"truncate\":null,\"prompt_name\":null}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JSON.readTree("{\"inputs\":[\"a\",\"b\"]}"), body(onlyRequest("/embed")));
    }

    @Test
    void withoutAKeyNoAuthorizationReachesTheUpstreamNotEvenTheClients() throws Exception {
        answer("/open/embed", 200, fixture("huggingface/tei-embed-2.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"open-tei\",\"input\":[\"a\",\"b\"]}",
                "Authorization", "Bearer client-key", "api-key", "client-api-key");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = onlyRequest("/open/embed");
        assertFalse(req.containsHeader("Authorization"), "the client's Authorization reached the upstream");
        assertFalse(req.containsHeader("api-key"));
    }

    @Test
    void wronglyTypedExtrasAre400BeforeAnyCall() throws Exception {
        for (String extra : new String[]{"\"truncate\":\"yes\"", "\"normalize\":1", "\"prompt_name\":{\"a\":1}",
                "\"truncation_direction\":false"}) {
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"a\"," + extra + "}");
            assertEquals(400, r.statusCode(), extra + " -> " + r.body());
            String param = extra.substring(1, extra.indexOf('"', 1));
            assertEquals(param, json(r).get("error").get("param").asText());
        }
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void oneDimensionalAnswerForOneInput() throws Exception {
        answer("/embed", 200, fixture("huggingface/feature-extraction-1d.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"only one\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JSON.readTree("{\"inputs\":[\"only one\"]}"), body(onlyRequest("/embed")));
        float[][] v = vectors(json(r));
        assertEquals(1, v.length);
        assertArrayEquals(new float[]{0.5f, 0.25f, -1f}, v[0], 0f);
    }

    // token vectors of the fixtures: input 0 = [1,2],[3,4],[5,9]; input 1 = [0.5,-1],[1.5,1]
    private static final float[][] MEAN = {{3f, 5f}, {1f, 0f}};
    private static final float[][] CLS = {{1f, 2f}, {0.5f, -1f}};

    @ParameterizedTest(name = "{0} pooled by {1}")
    @CsvSource({
            "feature-extraction-tokens-3d.json, bert-mean",
            "feature-extraction-tokens-3d.json, bert-cls",
            "feature-extraction-tokens-4d.json, bert-mean",
            "feature-extraction-tokens-4d.json, bert-cls",
    })
    void tokenLevelAnswersArePooled(String fixtureName, String model) throws Exception {
        answer("/bert", 200, fixture("huggingface/" + fixtureName));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model
                + "\",\"input\":[\"the cat sat\",\"hi there\"]}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] v = vectors(json(r));
        float[][] expected = model.endsWith("cls") ? CLS : MEAN;
        assertEquals(2, v.length);
        assertArrayEquals(expected[0], v[0], 0f);
        assertArrayEquals(expected[1], v[1], 0f);
    }

    @Test
    void seventyInputsGoAsThreeBatchesOf32AndComeBackInOrder() throws Exception {
        int n = 70;
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            inputs.add("text number " + i);
        }
        int[][] batches = {{0, 32}, {32, 64}, {64, 70}};
        for (int b = 0; b < batches.length; b++) {
            StringBuilder in = new StringBuilder();
            StringBuilder out = new StringBuilder();
            for (int i = batches[b][0]; i < batches[b][1]; i++) {
                String sep = i > batches[b][0] ? "," : "";
                in.append(sep).append('"').append(inputs.get(i)).append('"');
                out.append(sep).append('[').append(i).append(',').append(b).append(']');
            }
            upstream.stubFor(post(urlEqualTo("/embed")).withRequestBody(equalToJson("{\"inputs\":[" + in + "]}"))
                    .willReturn(aResponse().withStatus(200).withFixedDelay(60 * (3 - b)) // later batches first
                            .withBody("[" + out + "]")));
        }
        String body = JSON.writeValueAsString(Map.of("model", "bge", "input", inputs));
        HttpResponse<String> r = gw.post("/v1/embeddings", body);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(3, upstream.findAll(postRequestedFor(urlEqualTo("/embed"))).size());
        float[][] v = vectors(json(r));
        assertEquals(n, v.length);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new float[]{i, i / 32}, v[i], 0f, "input " + i);
        }
        assertEquals(Cl100k.count(inputs), json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void tokenIdInputsAreDecodedToTextForTheNativeFormat() throws Exception {
        answer("/embed", 200, fixture("huggingface/tei-embed-2.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":[[15339,1917],[9906]]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JSON.readTree("{\"inputs\":[\"hello world\",\"Hello\"]}"), body(onlyRequest("/embed")));
        assertEquals(3, json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void dimensionsIsNotForwardedNatively() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\",\"dimensions\":2}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("dimensions", json(r).get("error").get("param").asText());
        assertEquals(0, upstream.getAllServeEvents().size());

        answer("/mat", 200, "[[3.0,4.0,12.0]]");
        r = gw.post("/v1/embeddings", "{\"model\":\"mat\",\"input\":\"x\",\"dimensions\":2}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JSON.readTree("{\"inputs\":[\"x\"]}"), body(onlyRequest("/mat")));
        assertArrayEquals(new float[]{0.6f, 0.8f}, vectors(json(r))[0], 1e-6f);
    }

    @Test
    void openAiFormatModeForAV1ApiBase() throws Exception {
        answer("/v1/embeddings", 200, fixture("huggingface/openai-embeddings-2.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei-openai\",\"input\":[\"first\",\"second\"],"
                + "\"dimensions\":2,\"user\":\"u-1\",\"truncate\":true,\"input_type\":\"query\"}",
                "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = onlyRequest("/v1/embeddings");
        assertEquals("Bearer " + KEY, req.getHeader("Authorization"));
        assertEquals(JSON.readTree("{\"input\":[\"first\",\"second\"],\"model\":\"BAAI/bge-small-en-v1.5\","
                + "\"encoding_format\":\"base64\",\"dimensions\":2,\"user\":\"u-1\"}"), body(req));
        JsonNode out = json(r);
        float[][] v = vectors(out);
        assertArrayEquals(new float[]{0.6f, 0.8f}, v[0], 0f);
        assertArrayEquals(new float[]{0.25f, -0.5f}, v[1], 0f);
        assertEquals(7, out.get("usage").get("prompt_tokens").asInt());
        assertEquals("tei-openai", out.get("model").asText());
    }

    @Test
    void openAiFormatModeForwardsTokenIdsAsTheyAre() throws Exception {
        answer("/v1/embeddings", 200, fixture("huggingface/openai-embeddings-2.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"tei-openai\",\"input\":[[15339,1917],[9906]]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JSON.readTree("{\"input\":[[15339,1917],[9906]],\"model\":\"BAAI/bge-small-en-v1.5\","
                + "\"encoding_format\":\"base64\"}"), body(onlyRequest("/v1/embeddings")));
    }

    @Test
    void modelLoadingIs503WithRetryAfter() throws Exception {
        answer("/embed", 503, fixture("huggingface/error-model-loading-503.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\"}");
        assertEquals(503, r.statusCode(), r.body());
        assertEquals("21", r.headers().firstValue("Retry-After").orElse(null));
        JsonNode e = json(r).get("error");
        assertEquals("api_error", e.get("type").asText());
        assertEquals("model_loading", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("20.37"), e.get("message").asText());
    }

    @Test
    void a503WithoutEstimatedTimeIs502() throws Exception {
        answer("/embed", 503, "{\"error\":\"Service Unavailable\"}");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\"}");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("upstream_error", json(r).get("error").get("code").asText());
        assertTrue(r.headers().firstValue("Retry-After").isEmpty());
    }

    @ParameterizedTest(name = "TEI validation error with HTTP {0}")
    @CsvSource({"413", "422"})
    void teiTooLongInputIsContextLengthExceeded(int status) throws Exception {
        answer("/embed", status, fixture("huggingface/tei-error-validation-413.json"));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\"}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertTrue(e.get("message").asText().contains("512 tokens"), e.get("message").asText());
    }

    @ParameterizedTest(name = "upstream {0} -> {1}")
    @CsvSource({
            "401, 502, api_error, upstream_authentication_error, error-401.json",
            "429, 429, rate_limit_error, rate_limit_exceeded, tei-error-overloaded-429.json",
            "404, 404, invalid_request_error, upstream_not_found, error-401.json",
            "500, 502, api_error, upstream_error, error-401.json",
            "424, 502, api_error, upstream_error, error-401.json",           // TEI backend failure
    })
    void upstreamStatusesAreMapped(int upstreamStatus, int status, String type, String code, String file)
            throws Exception {
        answer("/embed", upstreamStatus, fixture("huggingface/" + file));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\"}");
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals(type, e.get("type").asText());
        assertEquals(code, e.get("code").asText());
        assertTrue(e.get("message").asText().contains("Hugging Face upstream returned HTTP " + upstreamStatus),
                e.get("message").asText());
        assertFalse(r.body().contains(KEY), r.body());
    }

    @Test
    void aKeyEchoedInAnUpstreamErrorIsRedacted() throws Exception {
        answer("/embed", 401, "{\"error\":\"token " + KEY + " is not valid\"}");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bge\",\"input\":\"x\"}");
        assertEquals(502, r.statusCode(), r.body());
        assertFalse(r.body().contains(KEY), r.body());
        assertTrue(r.body().contains("[redacted]"), r.body());
    }

    @Test
    void malformedBodiesAre502() throws Exception {
        for (String bad : new String[]{
                "not json",
                "",
                "{\"error\":\"Model too busy\"}",
                "{\"embeddings\":[[1,2],[3,4]]}",
                "[]",
                "[1.0,2.0]",                                   // one vector for two inputs
                "[[1,2]]",                                     // one vector for two inputs
                "[[1,2],[3,4],[5,6]]",                         // three for two
                "[[1,2],[3]]",                                 // ragged dims
                "[[1,2],[]]",                                  // empty vector
                "[[1,2],[[3,4]]]",                             // mixed depth
                "[[[1,2],[3]],[[1,2]]]",                       // ragged token dims
                "[[[1,2]],[[1,2,3]]]",                         // inputs with different dims after pooling
                "[[],[]]",                                     // no vectors
                "[[[[1,2]],[[3,4]]],[[[1,2]],[[3,4]]]]",       // [n][2][t][d]: not a batch axis of 1
                "[[[[[1,2]]]],[[[[1,2]]]]]",                   // 5-D
                "[[\"a\",\"b\"],[\"c\",\"d\"]]",               // strings
                "[[1,2],[3,4]] trailing",
                "[[1,2],[3,4]",                                // truncated
        }) {
            upstream.resetAll();
            answer("/bert", 200, bad);
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"bert-mean\",\"input\":[\"x\",\"y\"]}");
            assertEquals(502, r.statusCode(), bad + " -> " + r.body());
            JsonNode e = json(r).get("error");
            assertEquals("api_error", e.get("type").asText());
            assertEquals("upstream_bad_response", e.get("code").asText(), bad + " -> " + r.body());
            assertTrue(e.get("message").asText().startsWith("Hugging Face upstream"), e.get("message").asText());
        }
    }

    @Test
    void slowUpstreamIs504Timeout() throws Exception {
        upstream.stubFor(post(urlEqualTo("/slow")).willReturn(aResponse().withStatus(200).withFixedDelay(2500)
                .withBody("[[1,2]]")));
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"slow\",\"input\":\"x\"}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("timeout", json(r).get("error").get("type").asText());
        assertTrue(ms < 2400, "took " + ms + " ms with a 1 s timeout");
    }
}
