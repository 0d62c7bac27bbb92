package dev.embeddings.gateway.provider.openai;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI-format providers against WireMock: OpenAI itself (bare names and openai/), OpenAI-compatible servers
 * (hosted_vllm/, infinity/, lm_studio/), Mistral, Jina, NVIDIA NIM and Voyage, each with its exact upstream request, its extras
 * and their per-deployment defaults, usage, batching, and the shared error mapping.
 */
class OpenAiCompatibleProviderTest {

    static final String OPENAI_KEY = "sk-openai-test-4f2a9c";
    static final String MISTRAL_KEY = "mistral-key-8d1e";
    static final String JINA_KEY = "jina_key_6b0c2f";
    static final String NIM_KEY = "nvapi-test-1a2b3c";
    static final String VOYAGE_KEY = "pa-voyage-test-9e8d";
    static final String LM_STUDIO_KEY = "lm-studio-key-5c7d";
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: small
                    litellm_params:
                      model: text-embedding-3-small
                      api_key: os.environ/OPENAI_API_KEY
                      organization: org-test
                  - model_name: vllm
                    litellm_params:
                      model: hosted_vllm/BAAI/bge-m3
                      api_base: %1$s/vllm/v1?tenant=t1
                  - model_name: infinity
                    litellm_params:
                      model: infinity/mixedbread-ai/mxbai-embed-large-v1
                      api_base: %1$s/infinity
                      max_batch_size: 2
                  - model_name: codestral
                    litellm_params:
                      model: mistral/codestral-embed
                      max_batch_size: 2
                  - model_name: jina
                    litellm_params:
                      model: jina_ai/jina-embeddings-v3
                      late_chunking: true
                  - model_name: nim
                    litellm_params:
                      model: nvidia_nim/nvidia/nv-embedqa-e5-v5
                      api_base: %1$s/nim/v1
                      api_key: os.environ/NVIDIA_NIM_API_KEY
                      truncate: END
                  - model_name: voyage
                    litellm_params:
                      model: voyage/voyage-3.5
                      input_type: document
                  - model_name: voyage-mm
                    litellm_params:
                      model: voyage/voyage-multimodal-3
                  - model_name: lmstudio
                    litellm_params:
                      model: lm_studio/text-embedding-nomic-embed-text-v1.5
                """.formatted(base), Map.ofEntries(Map.entry("OPENAI_API_KEY", OPENAI_KEY),
                Map.entry("OPENAI_API_BASE", base + "/openai/v1"), Map.entry("MISTRAL_API_KEY", MISTRAL_KEY),
                Map.entry("MISTRAL_API_BASE", base + "/mistral/v1"), Map.entry("JINA_AI_API_KEY", JINA_KEY),
                Map.entry("JINA_AI_API_BASE", base + "/jina/v1"), Map.entry("NVIDIA_NIM_API_KEY", NIM_KEY),
                Map.entry("VOYAGE_API_KEY", VOYAGE_KEY), Map.entry("VOYAGE_API_BASE", base + "/voyage/v1"),
                Map.entry("LM_STUDIO_API_BASE", base + "/lmstudio/v1"), Map.entry("LM_STUDIO_API_KEY", LM_STUDIO_KEY)));
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

    private static void answer(String path, String fixture) {
        upstream.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(fixture(fixture))));
    }

    @Test
    void openAiGetsItsExactRequestAndItsUsageIsKept() throws Exception {
        answer("/openai/v1/embeddings", "openai/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"small\",\"input\":[\"first\",\"second\"],"
                + "\"dimensions\":3,\"user\":\"u-7\"}", "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/openai/v1/embeddings", req.getUrl());
        assertEquals("Bearer " + OPENAI_KEY, req.getHeader("Authorization"));
        assertEquals("org-test", req.getHeader("OpenAI-Organization"));
        assertEquals("identity", req.getHeader("Accept-Encoding"));
        JsonNode sent = GatewayHarness.JSON.readTree(req.getBodyAsString());
        assertEquals(GatewayHarness.JSON.readTree("[\"first\",\"second\"]"), sent.get("input"));
        assertEquals("text-embedding-3-small", sent.get("model").asText());
        assertEquals(3, sent.get("dimensions").asInt());
        assertEquals("u-7", sent.get("user").asText());
        JsonNode body = json(r);
        assertArrayEquals(new float[]{0.0123f, -0.0456f, 0.0789f}, vectors(body)[1], 0f);
        assertEquals(8, body.get("usage").get("prompt_tokens").asInt());
        assertEquals("small", body.get("model").asText());
    }

    @Test
    void anOpenAiInputOver8192TokensIsRefusedBeforeAnyCall() throws Exception {
        String big = "word ".repeat(9000);
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"small\",\"input\":[\"ok\",\"" + big + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals("input", e.get("param").asText());
        assertEquals("input[1] has 9001 tokens; model 'small' accepts at most 8192 tokens per input.",
                e.get("message").asText());
        assertEquals(0, upstream.getAllServeEvents().size());
        // token ids count as they are
        r = gw.post("/v1/embeddings", "{\"model\":\"small\",\"input\":[" + "1,".repeat(8192) + "1]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[0] has 8193 tokens; model 'small' accepts at most 8192 tokens per input.",
                json(r).get("error").get("message").asText());
    }

    @Test
    void openAiCompatibleServersTakeTheApiBaseWithItsQueryAndNoKey() throws Exception {
        answer("/vllm/v1/embeddings", "openai/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"vllm\",\"input\":[[15339,1917],[9906]]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/vllm/v1/embeddings?tenant=t1", req.getUrl());
        assertFalse(req.containsHeader("Authorization"));
        // vLLM takes token ids as they are
        assertJson("{\"input\":[[15339,1917],[9906]],\"model\":\"BAAI/bge-m3\",\"encoding_format\":\"base64\"}",
                req.getBodyAsString());
    }

    @Test
    void lmStudioTakesItsBaseAndKeyFromTheEnvironment() throws Exception {
        answer("/lmstudio/v1/embeddings", "openai/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"lmstudio\",\"input\":[\"first\",\"second\"]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/lmstudio/v1/embeddings", req.getUrl());
        assertEquals("Bearer " + LM_STUDIO_KEY, req.getHeader("Authorization"));
        assertJson("{\"input\":[\"first\",\"second\"],\"model\":\"text-embedding-nomic-embed-text-v1.5\","
                + "\"encoding_format\":\"base64\"}", req.getBodyAsString());
        assertArrayEquals(new float[]{0.0123f, -0.0456f, 0.0789f}, vectors(json(r))[1], 0f);
        assertEquals("lmstudio", json(r).get("model").asText());
    }

    @Test
    void infinityGetsTextAndBatchesComeBackInOrder() throws Exception {
        for (int b = 0; b < 2; b++) {
            String in = b == 0 ? "[\"hello world\",\"b\"]" : "[\"c\"]";
            String data = b == 0 ? "{\"index\":0,\"embedding\":[0,1]},{\"index\":1,\"embedding\":[1,1]}"
                    : "{\"index\":0,\"embedding\":[2,1]}";
            upstream.stubFor(post(urlPathEqualTo("/infinity/embeddings")).withRequestBody(equalToJson(
                    "{\"input\":" + in + ",\"model\":\"mixedbread-ai/mxbai-embed-large-v1\",\"encoding_format\":"
                            + "\"base64\"}")).willReturn(aResponse().withStatus(200).withFixedDelay(b == 0 ? 150 : 0)
                    .withBody("{\"data\":[" + data + "],\"usage\":{\"prompt_tokens\":" + (b + 2) + "}}")));
        }
        // token ids are decoded with cl100k_base for a server that takes text ([15339, 1917] is "hello world")
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"infinity\",\"input\":[[15339,1917],[65],[66]]}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] v = vectors(json(r));
        for (int i = 0; i < 3; i++) {
            assertEquals(i, v[i][0], 0f);
        }
        assertEquals(5, json(r).get("usage").get("prompt_tokens").asInt());
        assertEquals(2, upstream.findAll(postRequestedFor(urlPathEqualTo("/infinity/embeddings"))).size());
    }

    @Test
    void mistralCodestralGetsOutputDimensionInBatchesOfTwo() throws Exception {
        answer("/mistral/v1/embeddings", "mistral/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"codestral\",\"input\":[\"a\",\"b\",\"c\",\"d\"],"
                + "\"dimensions\":3,\"output_dtype\":\"float\"}");
        assertEquals(200, r.statusCode(), r.body());
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlPathEqualTo("/mistral/v1/embeddings")));
        assertEquals(2, seen.size());
        for (LoggedRequest req : seen) {
            assertEquals("Bearer " + MISTRAL_KEY, req.getHeader("Authorization"));
            JsonNode sent = GatewayHarness.JSON.readTree(req.getBodyAsString());
            assertEquals("codestral-embed", sent.get("model").asText());
            assertEquals(3, sent.get("output_dimension").asInt());
            assertEquals("float", sent.get("output_dtype").asText());
            assertNull(sent.get("dimensions"));
        }
        assertEquals(30, json(r).get("usage").get("prompt_tokens").asInt());
        HttpResponse<String> bad = gw.post("/v1/embeddings", "{\"model\":\"codestral\",\"input\":\"a\","
                + "\"output_dtype\":\"int8\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals("output_dtype", json(bad).get("error").get("param").asText());
    }

    @Test
    void jinaGetsItsTaskFromInputTypeAndTheDeploymentsLateChunking() throws Exception {
        answer("/jina/v1/embeddings", "jina_ai/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"jina\",\"input\":[\"q1\",\"q2\"],"
                + "\"input_type\":\"search_query\",\"dimensions\":3}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("Bearer " + JINA_KEY, req.getHeader("Authorization"));
        assertJson("{\"model\":\"jina-embeddings-v3\",\"input\":[\"q1\",\"q2\"],\"task\":\"retrieval.query\","
                + "\"dimensions\":3,\"late_chunking\":true,\"embedding_type\":\"float\"}", req.getBodyAsString());
        assertEquals(14, json(r).get("usage").get("prompt_tokens").asInt());
        assertArrayEquals(new float[]{-0.05211f, 0.04512f, -0.00876f}, vectors(json(r))[1], 0f);
    }

    @Test
    void nimGetsPassageForDocumentAndTheDeploymentsTruncate() throws Exception {
        answer("/nim/v1/embeddings", "nvidia_nim/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"nim\",\"input\":[\"p1\",\"p2\"],"
                + "\"input_type\":\"document\"}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("Bearer " + NIM_KEY, req.getHeader("Authorization"));
        assertJson("{\"model\":\"nvidia/nv-embedqa-e5-v5\",\"input\":[\"p1\",\"p2\"],\"input_type\":\"passage\","
                + "\"truncate\":\"END\",\"encoding_format\":\"float\"}", req.getBodyAsString());
        assertEquals(12, json(r).get("usage").get("prompt_tokens").asInt());
        // the client's own truncate wins over the deployment's
        upstream.resetRequests();
        gw.post("/v1/embeddings", "{\"model\":\"nim\",\"input\":[\"p1\",\"p2\"],\"truncate\":\"NONE\"}");
        assertEquals("NONE", GatewayHarness.JSON.readTree(ProviderChecks.only(upstream).getBodyAsString())
                .get("truncate").asText());
        HttpResponse<String> bad = gw.post("/v1/embeddings", "{\"model\":\"nim\",\"input\":\"x\","
                + "\"input_type\":\"clustering\"}");
        assertEquals(400, bad.statusCode(), bad.body());
        assertEquals("NVIDIA NIM has no clustering input type; it accepts query, passage.",
                json(bad).get("error").get("message").asText());
    }

    @Test
    void voyageGetsInputTypeOutputDimensionAndReportsTotalTokens() throws Exception {
        answer("/voyage/v1/embeddings", "voyage/embeddings-2.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"voyage\",\"input\":[\"a\",\"b\"],"
                + "\"dimensions\":3,\"truncation\":false}");
        // Voyage documents 256, 512, 1024 and 2048 only: refused before any call
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("Model 'voyage' supports dimensions 256, 512, 1024, 2048, not 3.",
                json(r).get("error").get("message").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"voyage\",\"input\":[\"a\",\"b\"],\"truncation\":false}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("Bearer " + VOYAGE_KEY, req.getHeader("Authorization"));
        assertJson("{\"model\":\"voyage-3.5\",\"input\":[\"a\",\"b\"],\"input_type\":\"document\","
                + "\"truncation\":false}", req.getBodyAsString());
        assertEquals(10, json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void voyageMultimodalGetsContentItemsAtItsOwnPath() throws Exception {
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        answer("/voyage/v1/multimodalembeddings", "voyage/multimodal-image.json");
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"voyage-mm\",\"input\":[{\"type\":"
                + "\"image_url\",\"image_url\":\"data:image/png;base64," + png + "\"}],\"input_type\":\"query\"}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/voyage/v1/multimodalembeddings", req.getUrl());
        assertJson("{\"model\":\"voyage-multimodal-3\",\"inputs\":[{\"content\":[{\"type\":\"image_base64\","
                + "\"image_base64\":\"data:image/png;base64," + png + "\"}]}],\"input_type\":\"query\"}",
                req.getBodyAsString());
        assertArrayEquals(new float[]{0.0245f, -0.0117f, 0.0603f, 0.0011f}, vectors(json(r))[0], 0f);
        assertEquals(285, json(r).get("usage").get("prompt_tokens").asInt());
        // a text-only Voyage model refuses images before any call
        upstream.resetRequests();
        HttpResponse<String> bad = gw.post("/v1/embeddings", "{\"model\":\"voyage\",\"input\":[\"data:image/png;base64,"
                + png + "\"]}");
        assertEquals(400, bad.statusCode());
        assertEquals("Model 'voyage' does not accept image inputs (input[0] is an image).",
                json(bad).get("error").get("message").asText());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void upstreamErrorsAreMappedForEveryDialect() throws Exception {
        ProviderChecks.errorsAreMapped(gw, upstream, "/openai/v1/embeddings", "small", "OpenAI",
                fixture("openai/error-401.json"), OPENAI_KEY);
        ProviderChecks.errorsAreMapped(gw, upstream, "/vllm/v1/embeddings", "vllm", "vLLM",
                "{\"object\":\"error\",\"message\":\"boom\",\"type\":\"BadRequestError\",\"code\":400}", null);
        ProviderChecks.errorsAreMapped(gw, upstream, "/mistral/v1/embeddings", "codestral", "Mistral",
                "{\"object\":\"error\",\"message\":\"Unauthorized " + MISTRAL_KEY + "\",\"type\":\"invalid_request\"}",
                MISTRAL_KEY);
        ProviderChecks.errorsAreMapped(gw, upstream, "/jina/v1/embeddings", "jina", "Jina AI",
                "{\"detail\":\"Invalid API key\"}", JINA_KEY);
        ProviderChecks.errorsAreMapped(gw, upstream, "/nim/v1/embeddings", "nim", "NVIDIA NIM",
                fixture("nvidia_nim/error-400.json"), NIM_KEY);
        ProviderChecks.errorsAreMapped(gw, upstream, "/voyage/v1/embeddings", "voyage", "Voyage AI",
                "{\"detail\":\"Provided API key is invalid.\"}", VOYAGE_KEY);
    }

    @Test
    void contextLengthFromOpenAiIs400WithItsCode() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/openai/v1/embeddings")).willReturn(aResponse().withStatus(400)
                .withBody(fixture("openai/error-context-length.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"small\",\"input\":\"x\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("context_length_exceeded", json(r).get("error").get("code").asText());
        assertTrue(json(r).get("error").get("message").asText().contains("maximum context length is 8192"));
    }
}
