package dev.embeddings.gateway.provider.sagemaker;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.provider.Cl100k;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.assertJson;
import static dev.embeddings.gateway.Upstream.assertSigV4;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SageMaker endpoints through /v1/embeddings against a WireMock upstream on loopback (SDK SageMakerRuntimeClient,
 * SigV4 with fake static credentials): the three body formats, inference components, batching, error mapping.
 */
class SageMakerProviderTest {

    static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: gpt-j
                    litellm_params:
                      model: sagemaker/berri-benchmarking-gpt-j-6b-fp16
                      api_base: %1$s
                      aws_region_name: us-west-2
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      timeout: 1
                  - model_name: tei
                    litellm_params:
                      model: sagemaker/tei-endpoint
                      sagemaker_format: inputs
                      api_base: %1$s
                      aws_region_name: eu-central-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      inference_component: bge-small-ic-1
                  - model_name: vllm
                    litellm_params:
                      model: sagemaker/vllm-endpoint
                      sagemaker_format: openai
                      api_base: %1$s
                      aws_region_name: us-west-2
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                """.formatted(base), Map.of("KEY_ID", KEY_ID, "SECRET", SECRET));
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

    static final String GPT_J = "/endpoints/berri-benchmarking-gpt-j-6b-fp16/invocations";
    static final String TEI = "/endpoints/tei-endpoint/invocations";
    static final String VLLM = "/endpoints/vllm-endpoint/invocations";

    static ResponseDefinitionBuilder ok(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withHeader("x-Amzn-Invoked-Production-Variant", "AllTraffic").withBody(body);
    }

    /** A SageMaker runtime error as the service sends it: x-amzn-ErrorType header, JSON body. */
    static ResponseDefinitionBuilder awsError(int status, String type, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withHeader("x-amzn-ErrorType", type).withHeader("x-amzn-RequestId", "9d1c7c53-0000-4000-8000-0a1b2c3d4e5f")
                .withBody(body);
    }

    static LoggedRequest only(String url) {
        return Upstream.onlyRequest(upstream, url);
    }

    @Test
    void textInputsFormatIsTheDefault() throws Exception {
        upstream.stubFor(post(urlEqualTo(GPT_J)).willReturn(ok(fixture("sagemaker/text-inputs.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"gpt-j\",\"input\":[\"first\",\"second\"],"
                + "\"user\":\"u-1\",\"input_type\":\"query\"}", "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());

        LoggedRequest req = only(GPT_J);
        assertJson("{\"text_inputs\":[\"first\",\"second\"]}", req.getBodyAsString());
        assertEquals("application/json", req.getHeader("Content-Type"));
        assertEquals("application/json", req.getHeader("Accept"));
        assertSigV4(req, KEY_ID, "us-west-2", "sagemaker");
        assertFalse(req.containsHeader("X-Amzn-SageMaker-Inference-Component"));
        assertFalse(req.getHeaders().all().toString().contains("client-key"), "client credentials reached SageMaker");

        JsonNode body = json(r);
        float[][] v = vectors(body);
        assertArrayEquals(new float[]{0.0091209f, -0.0216712f, 0.0042534f, 0.0131074f}, v[0], 0f);
        assertArrayEquals(new float[]{-0.0154251f, 0.0030132f, 0.0289921f, -0.0046377f}, v[1], 0f);
        assertEquals("gpt-j", body.get("model").asText());
        assertEquals(Cl100k.count(List.of("first", "second")), body.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void inputsFormatWithAnInferenceComponent() throws Exception {
        upstream.stubFor(post(urlEqualTo(TEI)).willReturn(ok(fixture("sagemaker/inputs.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = only(TEI);
        assertJson("{\"inputs\":[\"a\",\"b\"]}", req.getBodyAsString());
        assertEquals("bge-small-ic-1", req.getHeader("X-Amzn-SageMaker-Inference-Component"));
        assertTrue(req.getHeader("Authorization").contains("x-amzn-sagemaker-inference-component"),
                "the component header is signed");
        assertSigV4(req, KEY_ID, "eu-central-1", "sagemaker");
        float[][] v = vectors(json(r));
        assertArrayEquals(new float[]{0.125f, -0.375f, 0.0625f}, v[0], 0f);
        assertArrayEquals(new float[]{0.5f, 0.25f, -0.75f}, v[1], 0f);
    }

    @Test
    void openAiFormatSendsInputAndDimensionsAndKeepsUpstreamUsage() throws Exception {
        upstream.stubFor(post(urlEqualTo(VLLM)).willReturn(ok(fixture("sagemaker/openai.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"vllm\",\"input\":[\"a\",\"b\"],"
                + "\"dimensions\":3,\"encoding_format\":\"base64\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertJson("{\"input\":[\"a\",\"b\"],\"encoding_format\":\"base64\",\"dimensions\":3}",
                only(VLLM).getBodyAsString());
        JsonNode body = json(r);
        assertEquals(7, body.get("usage").get("prompt_tokens").asInt(), "the upstream's usage");
        // base64 of little-endian float32, data re-sorted by index
        float[] first = decode(body.get("data").get(0).get("embedding").asText());
        assertArrayEquals(new float[]{0.125f, -0.375f, 0.0625f}, first, 0f);
    }

    static float[] decode(String b64) {
        java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(java.util.Base64.getDecoder().decode(b64))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    @Test
    void batchesOf32KeepOrder() throws Exception {
        int n = 70;
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("doc " + i);
        }
        for (int from = 0; from < n; from += 32) {
            int to = Math.min(n, from + 32);
            StringBuilder body = new StringBuilder("{\"text_inputs\":[");
            StringBuilder answer = new StringBuilder("{\"embedding\":[");
            for (int i = from; i < to; i++) {
                body.append(i > from ? "," : "").append('"').append(texts.get(i)).append('"');
                answer.append(i > from ? "," : "").append('[').append(i).append(",-1]");
            }
            upstream.stubFor(post(urlEqualTo(GPT_J)).withRequestBody(equalToJson(body + "]}"))
                    .willReturn(ok(answer + "]}").withFixedDelay(from == 0 ? 150 : 0))); // first batch answers last
        }
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < n; i++) {
            in.append(i > 0 ? "," : "").append('"').append(texts.get(i)).append('"');
        }
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"gpt-j\",\"input\":[" + in + "]}");
        assertEquals(200, r.statusCode(), r.body());
        List<Integer> sizes = new ArrayList<>();
        for (LoggedRequest q : upstream.findAll(postRequestedFor(urlEqualTo(GPT_J)))) {
            sizes.add(GatewayHarness.JSON.readTree(q.getBodyAsString()).get("text_inputs").size());
        }
        sizes.sort(null);
        assertEquals(List.of(6, 32, 32), sizes);
        float[][] v = vectors(json(r));
        assertEquals(n, v.length);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new float[]{i, -1}, v[i], 0f, "input " + i);
        }
    }

    @Test
    void modelErrorIsMappedByTheContainersStatusAndSanitised() throws Exception {
        upstream.stubFor(post(urlEqualTo(TEI)).willReturn(awsError(424, "ModelError",
                fixture("sagemaker/error-model-error.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei\",\"input\":\"very long\"}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertTrue(e.get("message").asText().startsWith("SageMaker upstream returned HTTP 413"), e.get("message").asText());
        assertTrue(e.get("message").asText().contains("must have less than 512 tokens"), e.get("message").asText());
        assertFalse(r.body().contains("123456789012"), r.body());
        assertFalse(r.body().contains("arn:aws"), r.body());
        assertEquals(1, upstream.getAllServeEvents().size(), "no SDK retry");
    }

    @Test
    void serviceErrorsAreMapped() throws Exception {
        Object[][] cases = {
                {400, "ValidationError", "sagemaker/error-validation.json", 400, "upstream_bad_request"},
                {429, "ModelNotReadyException", "sagemaker/error-model-not-ready.json", 429, "rate_limit_exceeded"},
                {503, "ServiceUnavailable", "sagemaker/error-unavailable.json", 502, "upstream_error"},
        };
        for (Object[] c : cases) {
            upstream.resetAll();
            upstream.stubFor(post(urlEqualTo(GPT_J)).willReturn(awsError((int) c[0], (String) c[1],
                    fixture((String) c[2]))));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"gpt-j\",\"input\":\"x\"}");
            assertEquals(c[3], r.statusCode(), c[1] + ": " + r.body());
            JsonNode e = json(r).get("error");
            assertEquals(c[4], e.get("code").asText(), r.body());
            assertTrue(e.get("message").asText().startsWith("SageMaker upstream returned HTTP " + c[0]), r.body());
            assertFalse(r.body().contains("123456789012"), r.body());
            assertEquals(1, upstream.getAllServeEvents().size(), "no SDK retry");
        }
    }

    @Test
    void malformedAnswersAre502() throws Exception {
        Object[][] cases = {
                {GPT_J, "gpt-j", "[[1,2],[3,4]]"},
                {GPT_J, "gpt-j", "{\"embedding\":[[1,2]]}"},
                {GPT_J, "gpt-j", "{\"embeddings\":[[1,2],[3,4]]}"},
                {TEI, "tei", "{\"embedding\":[[1,2],[3,4]]}"},
                {TEI, "tei", "[[[1,2],[3,4]],[[5,6],[7,8]]]"},
                {VLLM, "vllm", "{\"data\":[{\"index\":0,\"embedding\":[1]}]}"},
                {VLLM, "vllm", "not json"},
        };
        for (Object[] c : cases) {
            upstream.resetAll();
            upstream.stubFor(post(urlEqualTo((String) c[0])).willReturn(ok((String) c[2])));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + c[1] + "\",\"input\":[\"x\",\"y\"]}");
            assertEquals(502, r.statusCode(), c[2] + " -> " + r.body());
            assertEquals("upstream_bad_response", json(r).get("error").get("code").asText(), r.body());
        }
    }

    @Test
    void slowEndpointIs504() throws Exception {
        upstream.stubFor(post(urlEqualTo(GPT_J)).willReturn(ok(fixture("sagemaker/text-inputs.json"))
                .withFixedDelay(2500)));
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"gpt-j\",\"input\":[\"a\",\"b\"]}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("timeout", json(r).get("error").get("type").asText());
        assertTrue(ms < 2400, "took " + ms + " ms with a 1 s timeout");
    }

    @Test
    void unknownFormatStopsTheStart() {
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: odd
                    litellm_params:
                      model: sagemaker/some-endpoint
                      aws_region_name: us-east-1
                      sagemaker_format: tgi
                """, Map.of()));
        assertTrue(e.getMessage().contains("sagemaker_format") && e.getMessage().contains("tgi")
                && e.getMessage().contains("odd"), e.getMessage());
    }
}
