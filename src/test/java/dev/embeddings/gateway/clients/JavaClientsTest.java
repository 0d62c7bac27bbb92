package dev.embeddings.gateway.clients;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The real OpenAI Java SDK and LangChain4j's OpenAiEmbeddingModel against the gateway (local model), with a
 * WireMock recording proxy in between to see what the SDK actually sends.
 */
class JavaClientsTest {

    static final String KEY = "sk-gw-java-clients";
    static final List<String> TEXTS = List.of("A man is eating food.", "A man is eating a piece of bread.",
            "A man is riding a horse.");
    static GatewayHarness gw;
    static WireMockServer proxy;

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: all-minilm-l6-v2
                    litellm_params:
                      model: local/all-minilm-l6-v2
                general_settings:
                  master_key: os.environ/MK
                """, Map.of("MK", KEY));
        proxy = Upstream.start();
        proxy.stubFor(any(anyUrl()).willReturn(aResponse().proxiedFrom(gw.url(""))));
    }

    @AfterAll
    static void stop() {
        proxy.stop();
        gw.close();
    }

    private static OpenAIClient sdk(String baseUrl, String key) {
        return OpenAIOkHttpClient.builder().baseUrl(baseUrl).apiKey(key).maxRetries(0).build();
    }

    /** The gateway's own float answer for the texts, by raw HTTP. */
    private static float[][] gatewayFloats(List<String> texts) throws Exception {
        String body = GatewayHarness.JSON.writeValueAsString(Map.of("model", "all-minilm-l6-v2", "input", texts,
                "encoding_format", "float"));
        return vectors(json(gw.post("/v1/embeddings", body, "Authorization", "Bearer " + KEY)));
    }

    private static float[] floats(List<Float> list) {
        float[] out = new float[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i);
        }
        return out;
    }

    @Test
    void sdkDefaultAsksBase64AndDecodesToTheFloatAnswer() throws Exception {
        proxy.resetRequests();
        CreateEmbeddingResponse r = sdk(proxy.baseUrl() + "/v1", KEY).embeddings().create(
                EmbeddingCreateParams.builder().model("all-minilm-l6-v2").inputOfArrayOfStrings(TEXTS).build());
        String sent = proxy.findAll(postRequestedFor(urlEqualTo("/v1/embeddings"))).get(0).getBodyAsString();
        assertEquals("base64", GatewayHarness.JSON.readTree(sent).get("encoding_format").asText(),
                "the SDK's default encoding: " + sent);
        float[][] expected = gatewayFloats(TEXTS);
        assertEquals(3, r.data().size());
        for (int i = 0; i < 3; i++) {
            assertEquals(i, r.data().get(i).index());
            assertEquals(384, r.data().get(i).embedding().size());
            assertArrayEquals(expected[i], floats(r.data().get(i).embedding()), 0f);
        }
        assertEquals("all-minilm-l6-v2", r.model());
    }

    @Test
    void sdkListsAndRetrievesModels() {
        OpenAIClient client = sdk(gw.url("/v1"), KEY);
        assertEquals(List.of("all-minilm-l6-v2"), client.models().list().data().stream()
                .map(com.openai.models.models.Model::id).toList());
        com.openai.models.models.Model m = client.models().retrieve("all-minilm-l6-v2");
        assertEquals("all-minilm-l6-v2", m.id());
        assertEquals("local", m.ownedBy());
        com.openai.errors.NotFoundException e = org.junit.jupiter.api.Assertions.assertThrows(
                com.openai.errors.NotFoundException.class, () -> client.models().retrieve("gpt-4"));
        assertEquals(404, e.statusCode());
    }

    @Test
    void sdkExplicitFloatAndSingleString() throws Exception {
        CreateEmbeddingResponse r = sdk(gw.url("/v1"), KEY).embeddings().create(EmbeddingCreateParams.builder()
                .model("all-minilm-l6-v2").input(TEXTS.get(2))
                .encodingFormat(EmbeddingCreateParams.EncodingFormat.FLOAT).build());
        assertEquals(1, r.data().size());
        assertArrayEquals(gatewayFloats(TEXTS)[2], floats(r.data().get(0).embedding()), 0f);
        assertEquals(r.usage().promptTokens(), r.usage().totalTokens());
    }

    @Test
    void sdkTokenIds() throws Exception {
        // cl100k_base ids of "hello world" and "hello"
        CreateEmbeddingResponse r = sdk(gw.url("/v1"), KEY).embeddings().create(EmbeddingCreateParams.builder()
                .model("all-minilm-l6-v2").inputOfArrayOfTokenArrays(List.of(List.of(15339L, 1917L), List.of(15339L)))
                .build());
        float[][] expected = gatewayFloats(List.of("hello world", "hello"));
        assertArrayEquals(expected[0], floats(r.data().get(0).embedding()), 1e-6f);
        assertArrayEquals(expected[1], floats(r.data().get(1).embedding()), 1e-6f);
        CreateEmbeddingResponse one = sdk(gw.url("/v1"), KEY).embeddings().create(EmbeddingCreateParams.builder()
                .model("all-minilm-l6-v2").inputOfArrayOfTokens(List.of(15339L, 1917L)).build());
        assertArrayEquals(expected[0], floats(one.data().get(0).embedding()), 1e-6f);
    }

    @Test
    void sdkErrorsAreTheSdksOwnExceptions() {
        NotFoundException nf = assertThrows(NotFoundException.class, () -> sdk(gw.url("/v1"), KEY).embeddings()
                .create(EmbeddingCreateParams.builder().model("no-such-model").input("x").build()));
        assertEquals("model_not_found", nf.code().orElse(null));
        assertThrows(UnauthorizedException.class, () -> sdk(gw.url("/v1"), "sk-wrong").embeddings()
                .create(EmbeddingCreateParams.builder().model("all-minilm-l6-v2").input("x").build()));
    }

    @Test
    void langChain4jEmbedAllKeepsOrder() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(gw.url("/v1")).apiKey(KEY)
                .modelName("all-minilm-l6-v2").build();
        List<Embedding> out = model.embedAll(TEXTS.stream().map(TextSegment::from).toList()).content();
        float[][] expected = gatewayFloats(TEXTS);
        assertEquals(3, out.size());
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(expected[i], out.get(i).vector(), 1e-6f);
        }
    }
}
