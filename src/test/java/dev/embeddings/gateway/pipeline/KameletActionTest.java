package dev.embeddings.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.openai.GatewayException;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ConsumerTemplate;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.cosine;
import static dev.embeddings.gateway.GatewayHarness.norm;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embeddings-action Kamelet (kamelets/embeddings-action.kamelet.yaml, loaded from the kamelets folder) used by a
 * plain Camel route from another YAML file (src/test/resources/pipeline/kamelet-demo.yaml), inside a real gateway.
 */
class KameletActionTest {

    static final String FOOD = "A man is eating food.";
    static final String BREAD = "A man is eating a piece of bread.";
    static final String HORSE = "A man is riding a horse.";

    static WireMockServer upstream;
    static GatewayHarness gw;
    static ProducerTemplate template;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/my-ada/embeddings")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Upstream.fixture("azure/embeddings-2.json"))));
        String routes = Path.of("routes").toAbsolutePath().toString();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: all-minilm-l6-v2
                    litellm_params:
                      model: local/all-minilm-l6-v2
                  - model_name: ada
                    litellm_params:
                      model: azure/my-ada
                      api_base: http://127.0.0.1:%d
                      api_key: os.environ/AZ_KEY
                """.formatted(upstream.port()), Map.of("AZ_KEY", "k-123456"),
                "--camel.main.routesIncludePattern=file:" + routes + "/*.yaml,classpath:pipeline/kamelet-demo.yaml");
        template = gw.gateway.camelContext().createProducerTemplate();
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @Test
    void aStringBecomesAUnitFloatVectorWithKnownSimilarities() {
        Exchange food = template.request("direct:kamelet-demo", e -> e.getMessage().setBody(FOOD));
        float[] f = food.getMessage().getBody(float[].class);
        float[] b = template.requestBody("direct:kamelet-demo", BREAD, float[].class);
        float[] h = template.requestBody("direct:kamelet-demo", HORSE, float[].class);
        assertEquals(384, f.length);
        assertEquals(1.0, norm(f), 1e-3);
        assertEquals(0.755, cosine(f, b), 0.01);
        assertTrue(cosine(f, b) > cosine(f, h), "food/bread " + cosine(f, b) + " vs food/horse " + cosine(f, h));
        assertEquals("all-minilm-l6-v2", food.getMessage().getHeader(EmbeddingsAction.MODEL_HEADER));
        int tokens = food.getMessage().getHeader(EmbeddingsAction.PROMPT_TOKENS_HEADER, Integer.class);
        assertTrue(tokens >= 6 && tokens <= 12, "tokens " + tokens);
    }

    @Test
    @SuppressWarnings("unchecked")
    void aListBecomesAListOfVectorsInInputOrder() {
        List<float[]> v = template.requestBody("direct:kamelet-demo", List.of(HORSE, FOOD, BREAD), List.class);
        assertEquals(3, v.size());
        assertEquals(1.0, cosine(v.get(0), template.requestBody("direct:kamelet-demo", HORSE, float[].class)), 1e-5);
        assertEquals(1.0, cosine(v.get(1), template.requestBody("direct:kamelet-demo", FOOD, float[].class)), 1e-5);
        assertEquals(0.755, cosine(v.get(1), v.get(2)), 0.01);
    }

    @Test
    void anOpenAiRequestJsonGetsTheSameAnswerAsTheHttpApi() throws Exception {
        String request = "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"" + FOOD + "\",\"" + HORSE + "\"]}";
        Exchange viaKamelet = template.request("direct:kamelet-demo", e -> e.getMessage().setBody(request));
        String json = viaKamelet.getMessage().getBody(String.class);
        assertInstanceOf(String.class, viaKamelet.getMessage().getBody());
        JsonNode kamelet = GatewayHarness.JSON.readTree(json);
        JsonNode http = GatewayHarness.json(gw.post("/v1/embeddings", request));
        float[][] a = vectors(kamelet);
        float[][] b = vectors(http);
        assertEquals(2, a.length);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(b[i], a[i], 1e-6f);
        }
        assertEquals(http.get("usage"), kamelet.get("usage"));
        assertEquals("all-minilm-l6-v2", kamelet.get("model").asText());

        // bytes in, bytes out; the JSON's model is optional (the Kamelet's fills in)
        byte[] out = template.requestBody("direct:kamelet-demo",
                ("{\"input\":\"" + FOOD + "\"}").getBytes(StandardCharsets.UTF_8), byte[].class);
        float[][] one = vectors(GatewayHarness.JSON.readTree(out));
        assertArrayEquals(b[0], one[0], 1e-6f);
    }

    @Test
    void base64EncodingGivesLittleEndianFloat32() {
        String b64 = template.requestBody("direct:kamelet-demo-base64", FOOD, String.class);
        float[] floats = template.requestBody("direct:kamelet-demo", FOOD, float[].class);
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
        float[] decoded = new float[buf.remaining() / 4];
        buf.asFloatBuffer().get(decoded);
        assertArrayEquals(floats, decoded, 0f);
    }

    @Test
    void aTimerRouteGetsItsVector() {
        ConsumerTemplate consumer = gw.gateway.camelContext().createConsumerTemplate();
        float[] v = consumer.receiveBody("seda:kamelet-demo-out", 30_000, float[].class);
        assertEquals(384, v.length);
        assertEquals(1.0, cosine(v, template.requestBody("direct:kamelet-demo", FOOD, float[].class)), 1e-5);
    }

    @Test
    @SuppressWarnings("unchecked")
    void anUpstreamModelKeepsTheCallersHeadersAndForwardsDimensions() {
        upstream.resetRequests();
        Exchange r = template.request("direct:kamelet-demo-azure", e -> {
            e.getMessage().setBody(List.of("first", "second"));
            e.getMessage().setHeader("trace-id", "t-42");
        });
        List<float[]> v = r.getMessage().getBody(List.class);
        assertArrayEquals(new float[]{0.0023064255f, -0.009327292f, -0.0028842222f}, v.get(0), 0f);
        assertArrayEquals(new float[]{0.25f, -0.5f, 0.125f}, v.get(1), 0f);
        assertEquals("t-42", r.getMessage().getHeader("trace-id"));
        assertEquals("ada", r.getMessage().getHeader(EmbeddingsAction.MODEL_HEADER));
        assertEquals(9, r.getMessage().getHeader(EmbeddingsAction.PROMPT_TOKENS_HEADER));
        upstream.verify(1, postRequestedFor(urlPathEqualTo("/openai/deployments/my-ada/embeddings"))
                .withRequestBody(equalToJson("{\"input\":[\"first\",\"second\"],\"encoding_format\":\"base64\","
                        + "\"dimensions\":3}")));
    }

    @Test
    void failuresAreThrownWithTheirStatus() {
        GatewayException unknown = cause(assertThrows(CamelExecutionException.class, () -> template.requestBody(
                "direct:kamelet-demo", "{\"model\":\"no-such-model\",\"input\":\"x\"}")));
        assertEquals(404, unknown.status());
        assertEquals("model_not_found", unknown.code());
        GatewayException empty = cause(assertThrows(CamelExecutionException.class,
                () -> template.requestBody("direct:kamelet-demo", "")));
        assertEquals(400, empty.status());
        GatewayException badJson = cause(assertThrows(CamelExecutionException.class,
                () -> template.requestBody("direct:kamelet-demo", "{\"input\": ")));
        assertEquals(400, badJson.status());
    }

    private static GatewayException cause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GatewayException g) {
                return g;
            }
        }
        throw new AssertionError("no GatewayException in " + t, t);
    }
}
