package dev.embeddings.gateway.provider.bedrock;

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
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.assertSigV4;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Bedrock image inputs (Titan Multimodal G1, Cohere v3 images: requests asserted byte for byte), the documented
 * per-input limits checked before any call, and per-deployment defaults forwarded.
 */
class BedrockImagesAndLimitsTest {

    static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";
    static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: titan-mm
                    litellm_params: {model: bedrock/amazon.titan-embed-image-v1}
                  - model_name: cohere-en
                    litellm_params: {model: bedrock/cohere.embed-english-v3, input_type: search_query, truncate: END}
                  - model_name: titan-v2
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, normalize: false}
                """, Map.of("AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", KEY_ID,
                "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "http://127.0.0.1:" + upstream.port()));
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
    void titanMultimodalGetsTheImageByteForByte() throws Exception {
        upstream.stubFor(post(urlEqualTo("/model/amazon.titan-embed-image-v1/invoke")).willReturn(aResponse()
                .withStatus(200).withBody("{\"embedding\":[0.03,-0.02,0.01],\"inputTextTokenCount\":0}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-mm\",\"input\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"data:image/png;base64," + PNG + "\"}}],\"dimensions\":256}");
        // three floats where 256 were asked: the request is what counts here
        assertEquals(502, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertSigV4(req, KEY_ID, "us-east-1", "bedrock");
        assertEquals("{\"inputImage\":\"" + PNG + "\",\"embeddingConfig\":{\"outputEmbeddingLength\":256}}",
                new String(req.getBody(), StandardCharsets.UTF_8));

        upstream.resetRequests();
        r = gw.post("/v1/embeddings", "{\"model\":\"titan-mm\",\"input\":[\"a cat\",\"data:image/png;base64," + PNG
                + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, upstream.getAllServeEvents().size(), "one call per input");
        assertEquals(java.util.Set.of("{\"inputText\":\"a cat\"}", "{\"inputImage\":\"" + PNG + "\"}"),
                upstream.getAllServeEvents().stream().map(e -> new String(e.getRequest().getBody(),
                        StandardCharsets.UTF_8)).collect(java.util.stream.Collectors.toSet()));
        assertArrayEquals(new float[]{0.03f, -0.02f, 0.01f}, vectors(json(r))[1], 0f);
    }

    @Test
    void cohereV3GetsTheImageByteForByteAndTextsTheDeploymentsDefaults() throws Exception {
        upstream.stubFor(post(urlEqualTo("/model/cohere.embed-english-v3/invoke")).willReturn(aResponse()
                .withStatus(200).withBody(fixture("bedrock/cohere-v3.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"data:image/png;base64,"
                + PNG + "\"]}");
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("{\"images\":[\"data:image/png;base64," + PNG + "\"],\"input_type\":\"image\"}",
                new String(req.getBody(), StandardCharsets.UTF_8));

        upstream.resetRequests();
        gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"hello\",\"world\"]}");
        // issue 9: litellm_params truncate and input_type are forwarded when the client sends none
        assertEquals("{\"texts\":[\"hello\",\"world\"],\"input_type\":\"search_query\",\"truncate\":\"END\"}",
                new String(ProviderChecks.only(upstream).getBody(), StandardCharsets.UTF_8));
        upstream.resetRequests();
        gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"hello\"],\"truncate\":\"NONE\"}");
        assertEquals("{\"texts\":[\"hello\"],\"input_type\":\"search_query\",\"truncate\":\"NONE\"}",
                new String(ProviderChecks.only(upstream).getBody(), StandardCharsets.UTF_8));
    }

    @Test
    void titanV2GetsTheDeploymentsNormalize() throws Exception {
        upstream.stubFor(post(urlEqualTo("/model/amazon.titan-embed-text-v2%3A0/invoke")).willReturn(aResponse()
                .withStatus(200).withBody(fixture("bedrock/titan-v2.json"))));
        gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":\"x\"}");
        assertEquals("{\"inputText\":\"x\",\"normalize\":false}",
                new String(ProviderChecks.only(upstream).getBody(), StandardCharsets.UTF_8));
    }

    @Test
    void documentedPerInputLimitsAreCheckedBeforeAnyCall() throws Exception {
        // issue 9: Titan 50,000 characters, 8,192 tokens; Cohere v3 2,048 characters
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":[\"ok\",\""
                + "a".repeat(50_001) + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[1] has 50001 characters; model 'titan-v2' accepts at most 50000 characters per input.",
                json(r).get("error").get("message").asText());
        assertEquals("context_length_exceeded", json(r).get("error").get("code").asText());
        assertEquals("input", json(r).get("error").get("param").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":\"" + "word ".repeat(9000) + "\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[0] has 9001 tokens; model 'titan-v2' accepts at most 8192 tokens per input.",
                json(r).get("error").get("message").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"" + "b".repeat(2049) + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[0] has 2049 characters; model 'cohere-en' accepts at most 2048 characters per input.",
                json(r).get("error").get("message").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":[\"data:image/png;base64," + PNG + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("Model 'titan-v2' does not accept image inputs (input[0] is an image).",
                json(r).get("error").get("message").asText());
        assertEquals(0, upstream.getAllServeEvents().size(), "nothing was sent upstream");
    }
}
