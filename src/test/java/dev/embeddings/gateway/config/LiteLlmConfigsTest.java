package dev.embeddings.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.provider.google.ServiceAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Five realistic LiteLLM configs (src/test/resources/litellm-configs/), loaded unchanged: chat models mixed in,
 * os.environ/ everywhere, router and litellm settings. Each starts, lists exactly its embedding models in
 * /v1/models, and serves one request per embedding model through its provider (WireMock upstreams answering the
 * providers' recorded-format bodies).
 */
class LiteLlmConfigsTest {

    static final String MASTER = "sk-litellm-master-0a1b2c";
    static WireMockServer upstream;
    static Map<String, String> env;

    /** model_name → (fixture, JSON pointer of the first vector's first value). */
    static final Map<String, String[]> EXPECT = new LinkedHashMap<>();

    static {
        String[] openai = {"openai/embeddings-2.json", "/data/0/embedding/0"};
        EXPECT.put("text-embedding-3-small", openai);
        EXPECT.put("text-embedding-3-large", openai);
        EXPECT.put("azure-embeddings", new String[]{"azure/embeddings-2.json", "/data/1/embedding/0"});
        EXPECT.put("titan-embed-v2", new String[]{"bedrock/titan-v2.json", "/embedding/0"});
        EXPECT.put("cohere-embed-english", new String[]{"bedrock/cohere-v3.json", "/embeddings/0/0"});
        EXPECT.put("titan-multimodal", new String[]{"bedrock/titan-v1.json", "/embedding/0"});
        EXPECT.put("gpt-j-embeddings", new String[]{"sagemaker/text-inputs.json", "/embedding/0/0"});
        EXPECT.put("vertex-embeddings", new String[]{"vertex_ai/predict-text.json",
                "/predictions/0/embeddings/values/0"});
        EXPECT.put("gemini-embedding", new String[]{"gemini/batch-embed-contents.json", "/embeddings/0/values/0"});
        EXPECT.put("bge-m3", openai);
        EXPECT.put("bge-small-tei", new String[]{"huggingface/tei-embed-2.json", "/0/0"});
        EXPECT.put("mxbai-infinity", openai);
        EXPECT.put("nomic-embed-text", new String[]{"ollama/embed-2.json", "/embeddings/0/0"});
        EXPECT.put("localai-embeddings", openai);
        EXPECT.put("cohere-embed-v4", new String[]{"cohere/embed-v2-floats.json", "/embeddings/float/0/0"});
        EXPECT.put("voyage-3.5", new String[]{"voyage/embeddings-2.json", "/data/0/embedding/0"});
        EXPECT.put("mistral-embed", new String[]{"mistral/embeddings-2.json", "/data/0/embedding/0"});
        EXPECT.put("jina-v3", new String[]{"jina_ai/embeddings-2.json", "/data/0/embedding/0"});
        EXPECT.put("nv-embedqa", new String[]{"nvidia_nim/embeddings-2.json", "/data/0/embedding/0"});
    }

    static Stream<Object[]> configs() {
        return Stream.of(
                new Object[]{"1-openai-azure.yaml", List.of("text-embedding-3-small", "text-embedding-3-large",
                        "azure-embeddings")},
                new Object[]{"2-aws.yaml", List.of("titan-embed-v2", "cohere-embed-english", "titan-multimodal",
                        "gpt-j-embeddings")},
                new Object[]{"3-google.yaml", List.of("vertex-embeddings", "gemini-embedding")},
                new Object[]{"4-self-hosted.yaml", List.of("bge-m3", "bge-small-tei", "mxbai-infinity",
                        "nomic-embed-text", "localai-embeddings")},
                new Object[]{"5-specialists.yaml", List.of("cohere-embed-v4", "voyage-3.5", "mistral-embed", "jina-v3",
                        "nv-embedqa")});
    }

    private static void answer(com.github.tomakehurst.wiremock.matching.UrlPattern url, String fixture) {
        upstream.stubFor(post(url).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(fixture(fixture))));
    }

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        answer(urlPathMatching("/(openai|vllm|localai)/v1/embeddings|/infinity/embeddings"), "openai/embeddings-2.json");
        answer(urlPathMatching("/openai/deployments/[^/]+/embeddings"), "azure/embeddings-2.json");
        answer(urlPathEqualTo("/model/amazon.titan-embed-text-v2%3A0/invoke"), "bedrock/titan-v2.json");
        answer(urlPathEqualTo("/model/cohere.embed-english-v3/invoke"), "bedrock/cohere-v3.json");
        answer(urlPathEqualTo("/model/amazon.titan-embed-image-v1/invoke"), "bedrock/titan-v1.json");
        answer(urlPathEqualTo("/endpoints/gpt-j-embedding-endpoint/invocations"), "sagemaker/text-inputs.json");
        answer(urlPathEqualTo("/token"), "vertex_ai/token.json");
        answer(urlPathEqualTo("/v1/projects/my-project/locations/us-central1/publishers/google/models/"
                + "text-embedding-005:predict"), "vertex_ai/predict-text.json");
        answer(urlPathEqualTo("/v1beta/models/gemini-embedding-001:batchEmbedContents"),
                "gemini/batch-embed-contents.json");
        answer(urlPathEqualTo("/tei"), "huggingface/tei-embed-2.json");
        answer(urlPathEqualTo("/api/embed"), "ollama/embed-2.json");
        answer(urlPathEqualTo("/v2/embed"), "cohere/embed-v2-floats.json");
        answer(urlPathEqualTo("/voyage/v1/embeddings"), "voyage/embeddings-2.json");
        answer(urlPathEqualTo("/mistral/v1/embeddings"), "mistral/embeddings-2.json");
        answer(urlPathEqualTo("/jina/v1/embeddings"), "jina_ai/embeddings-2.json");
        answer(urlPathEqualTo("/nim/v1/embeddings"), "nvidia_nim/embeddings-2.json");

        Path sa = ServiceAccounts.write(base + "/token", null);
        env = new HashMap<>();
        env.putAll(Map.of("OPENAI_API_KEY", "sk-test-openai-1", "OPENAI_API_BASE", base + "/openai/v1",
                "AZURE_API_BASE", base, "AZURE_API_KEY", "azure-key-test-2", "ANTHROPIC_API_KEY", "sk-ant-test",
                "REDIS_HOST", "127.0.0.1", "DATABASE_URL", "jdbc:h2:mem:litellm-configs;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_DELAY=-1",
                "LITELLM_MASTER_KEY", MASTER));
        env.putAll(Map.of("AWS_REGION_NAME", "us-east-1", "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_ENDPOINT_URL", base,
                "VERTEX_PROJECT", "my-project", "VERTEX_CREDENTIALS", sa.toString(), "VERTEX_API_BASE", base,
                "GEMINI_API_KEY", "AIza-test-gemini", "GEMINI_API_BASE", base));
        env.putAll(Map.of("VLLM_CHAT_BASE", base + "/vllm-chat/v1", "VLLM_EMBED_BASE", base + "/vllm/v1",
                "TEI_BASE", base + "/tei", "INFINITY_API_BASE", base + "/infinity", "OLLAMA_API_BASE", base,
                "LOCALAI_API_BASE", base + "/localai/v1", "LOCALAI_API_KEY", "localai-key"));
        env.putAll(Map.of("COHERE_API_KEY", "co-test", "COHERE_API_BASE", base, "VOYAGE_API_KEY", "pa-test",
                "VOYAGE_API_BASE", base + "/voyage/v1", "MISTRAL_API_KEY", "mistral-test",
                "MISTRAL_API_BASE", base + "/mistral/v1", "JINA_AI_API_KEY", "jina-test",
                "JINA_AI_API_BASE", base + "/jina/v1", "NVIDIA_NIM_API_KEY", "nvapi-test"));
        env.putAll(Map.of("NVIDIA_NIM_API_BASE", base + "/nim/v1", "GROQ_API_KEY", "gsk-test",
                "TOGETHERAI_API_KEY", "together-test"));
    }

    @AfterAll
    static void stop() {
        upstream.stop();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configs")
    void loadsUnchangedAndServesEveryEmbeddingModel(String file, List<String> embeddingModels) throws Exception {
        Path config = Path.of("src/test/resources/litellm-configs", file);
        Path copy = Files.createTempDirectory("litellm").resolve("config.yaml");
        Files.copy(config, copy);
        try (GatewayHarness gw = GatewayHarness.startWith(copy, Path.of("routes"), env, false)) {
            HttpResponse<String> models = gw.get("/v1/models", "Authorization", "Bearer " + MASTER);
            assertEquals(200, models.statusCode(), models.body());
            assertEquals(embeddingModels, GatewayHarness.json(models).get("data").findValuesAsText("id"),
                    "only what the gateway can serve is listed");
            for (String model : embeddingModels) {
                HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":"
                        + (model.startsWith("titan") ? "\"a\"" : "[\"a\",\"b\"]") + "}",
                        "Authorization", "Bearer " + MASTER);
                assertEquals(200, r.statusCode(), model + ": " + r.body());
                JsonNode body = GatewayHarness.json(r);
                assertEquals(model, body.get("model").asText());
                String[] expect = EXPECT.get(model);
                float first = (float) GatewayHarness.JSON.readTree(fixture(expect[0])).at(expect[1]).asDouble();
                assertEquals(first, GatewayHarness.vectors(body)[0][0], 0f, model);
                assertTrue(body.get("usage").get("prompt_tokens").asInt() > 0, model);
            }
        }
    }
}
