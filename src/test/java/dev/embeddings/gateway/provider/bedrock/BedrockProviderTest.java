package dev.embeddings.gateway.provider.bedrock;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.provider.Cl100k;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
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
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Amazon Bedrock through /v1/embeddings against a WireMock upstream on loopback (aws-bedrock component, SigV4 with
 * fake static credentials): exact upstream requests per model family, fan-out, batching and error mapping.
 */
class BedrockProviderTest {

    static final String KEY_ID = "AKIAIOSFODNN7EXAMPLE";
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    static final String ENV_KEY_ID = "AKIAI44QH8DHBEXAMPLE";
    static final String ENV_SECRET = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY";
    static final String SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLE//session+token=";

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: titan-v1
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      max_parallel_requests: 20
                  - model_name: titan-g1
                    litellm_params:
                      model: bedrock/amazon.titan-embed-g1-text-02
                      aws_bedrock_runtime_endpoint: %1$s
                      aws_region_name: us-west-2
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      aws_session_token: os.environ/TOKEN
                  - model_name: titan-v2
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v2:0
                      api_base: %1$s
                  - model_name: cohere-en
                    litellm_params:
                      model: bedrock/cohere.embed-english-v3
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                  - model_name: cohere-multi
                    litellm_params:
                      model: bedrock/cohere.embed-multilingual-v3
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                  - model_name: cohere-v4
                    litellm_params:
                      model: bedrock/us.cohere.embed-v4:0
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                  - model_name: titan-role
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      aws_role_name: arn:aws:iam::123456789012:role/embeddings-invoker
                      aws_session_name: gw-test
                      aws_sts_endpoint: %1$s
                  - model_name: titan-slow
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/KEY_ID
                      aws_secret_access_key: os.environ/SECRET
                      timeout: 1
                """.formatted(base), Map.of("KEY_ID", KEY_ID, "SECRET", SECRET, "TOKEN", SESSION_TOKEN,
                // titan-v2 takes region and keys from the environment
                "AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", ENV_KEY_ID, "AWS_SECRET_ACCESS_KEY", ENV_SECRET));
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

    static final String TITAN_V1 = path("amazon.titan-embed-text-v1");
    static final String TITAN_V2 = path("amazon.titan-embed-text-v2:0");
    static final String COHERE_EN = path("cohere.embed-english-v3");

    /** The InvokeModel path as the SDK sends it: {@code :} in a model id is percent-encoded. */
    static String path(String modelId) {
        return "/model/" + modelId.replace(":", "%3A") + "/invoke";
    }

    static ResponseDefinitionBuilder ok(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                .withHeader("x-amzn-RequestId", "4f6a7b1c-0000-4000-8000-1234567890ab").withBody(body);
    }

    /** A Bedrock error as the service sends it: x-amzn-ErrorType header, {"message": …} body. */
    static ResponseDefinitionBuilder awsError(int status, String type, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withHeader("x-amzn-ErrorType", type + ":http://internal.amazon.com/coral/com.amazon.bedrock/")
                .withHeader("x-amzn-RequestId", "4f6a7b1c-0000-4000-8000-1234567890ab").withBody(body);
    }

    static LoggedRequest only(String url) {
        return Upstream.onlyRequest(upstream, url);
    }

    @Test
    void titanV1SendsOneSignedInvokeModelAndNormalisesTheAnswer() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(ok(fixture("bedrock/titan-v1.json"))));

        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"hello world\","
                + "\"user\":\"u-1\",\"input_type\":\"search_query\"}", "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());

        LoggedRequest req = only(TITAN_V1);
        assertJson("{\"inputText\":\"hello world\"}", req.getBodyAsString());
        assertEquals("application/json", req.getHeader("Content-Type"));
        assertEquals("application/json", req.getHeader("Accept"));
        assertSigV4(req, KEY_ID, "us-east-1", "bedrock");
        assertFalse(req.containsHeader("X-Amz-Security-Token"));
        assertFalse(req.getHeaders().all().toString().contains("client-key"), "client credentials reached Bedrock");

        JsonNode body = json(r);
        assertEquals("titan-v1", body.get("model").asText());
        assertArrayEquals(new float[]{0.6328125f, -0.0234375f, 0.1650390625f, -0.3046875f}, vectors(body)[0], 0f);
        assertEquals(3, body.get("usage").get("prompt_tokens").asInt(), "Titan's inputTextTokenCount");
        assertEquals(3, body.get("usage").get("total_tokens").asInt());
    }

    @Test
    void titanG1UsesTheRuntimeEndpointKeyAndSessionCredentials() throws Exception {
        String url = path("amazon.titan-embed-g1-text-02");
        upstream.stubFor(post(urlEqualTo(url)).willReturn(ok(fixture("bedrock/titan-v1.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-g1\",\"input\":[\"a\"]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = only(url);
        assertSigV4(req, KEY_ID, "us-west-2", "bedrock");
        assertEquals(SESSION_TOKEN, req.getHeader("X-Amz-Security-Token"));
        assertTrue(req.getHeader("Authorization").contains("x-amz-security-token"), "the token is signed");
    }

    @Test
    void awsRoleNameAssumesTheRoleThroughStsAndSignsWithItsCredentials() throws Exception {
        upstream.stubFor(post(urlEqualTo("/")).withRequestBody(containing("Action=AssumeRole"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/xml")
                        .withBody(fixture("bedrock/sts-assume-role.xml"))));
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(ok(fixture("bedrock/titan-v1.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-role\",\"input\":\"x\"}");
        assertEquals(200, r.statusCode(), r.body());

        LoggedRequest sts = upstream.findAll(postRequestedFor(urlEqualTo("/"))).get(0);
        String form = java.net.URLDecoder.decode(sts.getBodyAsString(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(form.contains("RoleArn=arn:aws:iam::123456789012:role/embeddings-invoker")
                && form.contains("RoleSessionName=gw-test"), form);
        assertSigV4(sts, KEY_ID, "us-east-1", "sts");
        LoggedRequest req = upstream.findAll(postRequestedFor(urlEqualTo(TITAN_V1))).get(0);
        assertSigV4(req, "ASIAIOSFODNN7EXAMPLE", "us-east-1", "bedrock");
        assertEquals("IQoJb3JpZ2luX2VjEXAMPLEsessiontoken", req.getHeader("X-Amz-Security-Token"));
    }

    @Test
    void titanV2SendsDimensionsAndNormalizeWithRegionAndKeysFromTheEnvironment() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V2)).willReturn(ok(padded(fixture("bedrock/titan-v2.json"), 256))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":\"x\","
                + "\"dimensions\":256,\"input_type\":\"search_query\",\"truncate\":\"END\",\"foo\":1}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = only(TITAN_V2);
        assertJson("{\"inputText\":\"x\",\"dimensions\":256,\"normalize\":true}", req.getBodyAsString());
        assertSigV4(req, ENV_KEY_ID, "eu-west-1", "bedrock");
        float[] v0 = vectors(json(r))[0];
        assertEquals(256, v0.length);
        assertArrayEquals(new float[]{0.072041f, -0.0391549f, 0.10498f, 0.0150261f}, Arrays.copyOf(v0, 4), 0f);
        assertEquals(5, json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void titanV2OmitsUnsetDimensionsAndPassesNormalize() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V2)).willReturn(ok(fixture("bedrock/titan-v2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":[\"x\"],"
                + "\"normalize\":false}");
        assertEquals(200, r.statusCode(), r.body());
        assertJson("{\"inputText\":\"x\",\"normalize\":false}", only(TITAN_V2).getBodyAsString());
    }

    @Test
    void titanV2RefusesUnsupportedDimensionsBeforeAnyCall() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":\"x\",\"dimensions\":100}");
        assertEquals(400, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals("dimensions", e.get("param").asText());
        assertTrue(e.get("message").asText().contains("256, 512, 1024"), e.get("message").asText());
        assertTrue(upstream.getAllServeEvents().isEmpty(), "no upstream call");

        r = gw.post("/v1/embeddings", "{\"model\":\"titan-v2\",\"input\":\"x\",\"normalize\":\"yes\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("normalize", json(r).get("error").get("param").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"x\",\"dimensions\":512}");
        assertEquals(400, r.statusCode(), "Titan v1 has no dimensions parameter: " + r.body());
        assertTrue(upstream.getAllServeEvents().isEmpty(), "no upstream call");
    }

    @Test
    void tokenIdInputsAreDecodedWithCl100k() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).withRequestBody(equalToJson("{\"inputText\":\"hello world\"}"))
                .willReturn(ok(fixture("bedrock/titan-v1.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":[[15339,1917]]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, json(r).get("data").size());
    }

    @Test
    void titanFansOutOneCallPerInputInParallelAndKeepsInputOrder() throws Exception {
        int n = 20;
        for (int i = 0; i < n; i++) {
            upstream.stubFor(post(urlEqualTo(TITAN_V1)).withRequestBody(equalToJson("{\"inputText\":\"t" + i + "\"}"))
                    .willReturn(ok("{\"embedding\":[" + i + ",0.5],\"inputTextTokenCount\":" + (i + 1) + "}")
                            .withFixedDelay(100)));
        }
        // warm-up: first-call costs (SDK signer, Camel endpoint creation, class loading) are not the fan-out
        assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"t0\"}").statusCode());
        upstream.resetRequests();

        StringBuilder in = new StringBuilder();
        for (int i = 0; i < n; i++) {
            in.append(i > 0 ? "," : "").append("\"t").append(i).append('"');
        }
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":[" + in + "]}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("Bedrock Titan fan-out: " + n + " inputs, 100 ms upstream delay each, "
                + "max_parallel_requests 20: " + ms + " ms (sequential would be >= " + n * 100 + " ms)");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(n, upstream.findAll(postRequestedFor(urlEqualTo(TITAN_V1))).size());
        assertTrue(ms < 1000, "20 calls of 100 ms took " + ms + " ms: not concurrent");
        float[][] v = vectors(json(r));
        assertEquals(n, v.length);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new float[]{i, 0.5f}, v[i], 0f, "input " + i);
        }
        assertEquals(n * (n + 1) / 2, json(r).get("usage").get("prompt_tokens").asInt(), "sum of token counts");
    }

    @Test
    void cohereSendsTextsInputTypeAndTruncateOnly() throws Exception {
        upstream.stubFor(post(urlEqualTo(COHERE_EN)).willReturn(ok(fixture("bedrock/cohere-v3.json"))
                .withHeader("X-Amzn-Bedrock-Input-Token-Count", "6")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"first text\","
                + "\"second text\"],\"input_type\":\"search_query\",\"truncate\":\"END\",\"normalize\":true,"
                + "\"user\":\"u\",\"foo\":\"bar\"}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = only(COHERE_EN);
        assertJson("{\"texts\":[\"first text\",\"second text\"],\"input_type\":\"search_query\",\"truncate\":\"END\"}",
                req.getBodyAsString());
        assertSigV4(req, KEY_ID, "us-east-1", "bedrock");
        float[][] v = vectors(json(r));
        assertArrayEquals(new float[]{0.021530151f, -0.03048706f, 0.017684937f}, v[0], 0f);
        assertArrayEquals(new float[]{-0.0105056763f, 0.0382995605f, -0.0466308594f}, v[1], 0f);
        assertEquals(6, json(r).get("usage").get("prompt_tokens").asInt(), "Bedrock's input token count header");
    }

    @Test
    void cohereMultilingualDefaultsToSearchDocumentAndCountsTokens() throws Exception {
        String url = path("cohere.embed-multilingual-v3");
        upstream.stubFor(post(urlEqualTo(url)).willReturn(ok(fixture("bedrock/cohere-v3.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-multi\",\"input\":[\"first text\","
                + "\"second text\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertJson("{\"texts\":[\"first text\",\"second text\"],\"input_type\":\"search_document\"}",
                only(url).getBodyAsString());
        assertEquals(Cl100k.count(List.of("first text", "second text")),
                json(r).get("usage").get("prompt_tokens").asInt(), "no upstream count: cl100k_base");
    }

    @Test
    void cohereV4SendsOutputDimensionAndReadsEmbeddingsByType() throws Exception {
        String url = path("us.cohere.embed-v4:0");
        upstream.stubFor(post(urlEqualTo(url)).willReturn(ok(padded(fixture("bedrock/cohere-v4.json"), 512))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v4\",\"input\":[\"first text\","
                + "\"second text\"],\"dimensions\":512}");
        assertEquals(200, r.statusCode(), r.body());
        assertJson("{\"texts\":[\"first text\",\"second text\"],\"input_type\":\"search_document\","
                + "\"embedding_types\":[\"float\"],\"output_dimension\":512}", only(url).getBodyAsString());
        float[][] v = vectors(json(r));
        assertEquals(512, v[0].length);
        assertArrayEquals(new float[]{0.0125f, -0.25f, 0.5f}, Arrays.copyOf(v[0], 3), 0f);
        assertArrayEquals(new float[]{0.75f, 0.0625f, -0.125f}, Arrays.copyOf(v[1], 3), 0f);

        upstream.resetAll();
        r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v4\",\"input\":\"x\",\"dimensions\":100}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("dimensions", json(r).get("error").get("param").asText());
        assertTrue(upstream.getAllServeEvents().isEmpty());
    }

    @Test
    void cohereChunksAt96AndKeepsOrder() throws Exception {
        int n = 200;
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            texts.add("text " + i);
        }
        for (int from = 0; from < n; from += 96) {
            int to = Math.min(n, from + 96);
            StringBuilder body = new StringBuilder("{\"texts\":[");
            StringBuilder answer = new StringBuilder("{\"embeddings\":[");
            for (int i = from; i < to; i++) {
                body.append(i > from ? "," : "").append('"').append(texts.get(i)).append('"');
                answer.append(i > from ? "," : "").append('[').append(i).append(",0.25]");
            }
            body.append("],\"input_type\":\"search_document\"}");
            answer.append("],\"id\":\"x\",\"response_type\":\"embeddings_floats\",\"texts\":[]}");
            upstream.stubFor(post(urlEqualTo(COHERE_EN)).withRequestBody(equalToJson(body.toString()))
                    .willReturn(ok(answer.toString()).withFixedDelay(from == 0 ? 150 : 0))); // first batch last
        }
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < n; i++) {
            in.append(i > 0 ? "," : "").append('"').append(texts.get(i)).append('"');
        }
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[" + in + "]}");
        assertEquals(200, r.statusCode(), r.body());
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlEqualTo(COHERE_EN)));
        assertEquals(3, seen.size());
        List<Integer> sizes = new ArrayList<>();
        for (LoggedRequest q : seen) {
            sizes.add(GatewayHarness.JSON.readTree(q.getBodyAsString()).get("texts").size());
        }
        sizes.sort(null);
        assertEquals(List.of(8, 96, 96), sizes);
        float[][] v = vectors(json(r));
        assertEquals(n, v.length);
        for (int i = 0; i < n; i++) {
            assertArrayEquals(new float[]{i, 0.25f}, v[i], 0f, "input " + i);
        }
        assertEquals(Cl100k.count(texts), json(r).get("usage").get("prompt_tokens").asInt());
    }

    @ParameterizedTest(name = "{1} {0} -> {3}")
    @CsvSource({
            "400, ValidationException, error-validation.json, 400, invalid_request_error, upstream_bad_request",
            "400, ValidationException, error-too-many-tokens.json, 400, invalid_request_error, context_length_exceeded",
            "403, AccessDeniedException, error-access-denied.json, 502, api_error, upstream_permission_denied",
            "404, ResourceNotFoundException, error-not-found.json, 404, invalid_request_error, upstream_not_found",
            "429, ThrottlingException, error-throttling.json, 429, rate_limit_error, rate_limit_exceeded",
            "408, ModelTimeoutException, error-model-timeout.json, 504, timeout, upstream_timeout",
            "424, ModelErrorException, error-model-error.json, 502, api_error, upstream_error",
            "500, InternalServerException, error-internal.json, 502, api_error, upstream_error",
            "503, ServiceUnavailableException, error-unavailable.json, 502, api_error, upstream_error",
    })
    void bedrockErrorsAreMappedAndSanitised(int upstreamStatus, String type, String fixture, int status,
                                            String errorType, String code) throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(awsError(upstreamStatus, type,
                fixture("bedrock/" + fixture))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"x\"}");
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals(errorType, e.get("type").asText());
        assertEquals(code, e.get("code").asText());
        String message = e.get("message").asText();
        assertTrue(message.startsWith("Bedrock upstream"), message);
        if (status != 504) {
            assertTrue(message.contains("HTTP " + upstreamStatus) && message.contains(type), message);
        }
        for (String secret : new String[]{"123456789012", KEY_ID, SECRET, "arn:aws:iam"}) {
            assertFalse(r.body().contains(secret), secret + " leaked: " + r.body());
        }
        assertEquals(1, upstream.getAllServeEvents().size(), "no SDK retry");
    }

    @Test
    void malformedSuccessBodiesAre502() throws Exception {
        for (String bad : new String[]{"not json", "{}", "{\"embedding\":\"x\"}", "{\"embedding\":[]}",
                "{\"embeddings\":[[1,2]]}", "{\"embedding\":[1,\"a\"]}", "[1,2]", ""}) {
            upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(ok(bad)));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"x\"}");
            assertEquals(502, r.statusCode(), bad + " -> " + r.body());
            assertEquals("upstream_bad_response", json(r).get("error").get("code").asText(), bad);
        }
        upstream.stubFor(post(urlEqualTo(COHERE_EN)).willReturn(ok("{\"embeddings\":[[1,2]]}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-en\",\"input\":[\"a\",\"b\"]}");
        assertEquals(502, r.statusCode(), "one vector for two inputs: " + r.body());
    }

    @Test
    void slowUpstreamIs504WithinTheTimeout() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(ok(fixture("bedrock/titan-v1.json"))
                .withFixedDelay(2500)));
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-slow\",\"input\":\"x\"}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("timeout", json(r).get("error").get("type").asText());
        assertTrue(ms < 2400, "took " + ms + " ms with a 1 s timeout");
        assertEquals(1, upstream.getAllServeEvents().size(), "no SDK retry");
    }

    @Test
    void connectionResetIs502() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":\"x\"}");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("upstream_connection_error", json(r).get("error").get("code").asText());
        assertEquals(1, upstream.getAllServeEvents().size(), "no SDK retry");
    }

    @Test
    void oneFailedCallFailsTheRequest() throws Exception {
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).willReturn(ok(fixture("bedrock/titan-v1.json"))));
        upstream.stubFor(post(urlEqualTo(TITAN_V1)).withRequestBody(equalToJson("{\"inputText\":\"c\"}"))
                .willReturn(awsError(429, "ThrottlingException", fixture("bedrock/error-throttling.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"titan-v1\",\"input\":[\"a\",\"b\",\"c\"]}");
        assertEquals(429, r.statusCode(), r.body());
        assertNull(json(r).get("data"));
    }

    @Test
    void configErrorsStopTheStart() {
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: image
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v9:0
                      aws_region_name: us-east-1
                """, Map.of()));
        assertTrue(e.getMessage().contains("unknown Bedrock embedding model 'amazon.titan-embed-text-v9:0'")
                && e.getMessage().contains("image"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: no-region
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                """, Map.of()));
        assertTrue(e.getMessage().contains("aws_region_name") && e.getMessage().contains("no-region"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: titan-batch
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      aws_region_name: us-east-1
                      max_batch_size: 5
                """, Map.of()));
        assertTrue(e.getMessage().contains("max_batch_size"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: half-key
                    litellm_params:
                      model: bedrock/cohere.embed-english-v3
                      aws_region_name: us-east-1
                      aws_access_key_id: AKIAIOSFODNN7EXAMPLE
                """, Map.of()));
        assertTrue(e.getMessage().contains("aws_secret_access_key"), e.getMessage());
        assertFalse(e.getMessage().contains("AKIAIOSFODNN7EXAMPLE"), e.getMessage());
    }

    /** The fixture with every vector (array of numbers) padded with zeros to {@code dims} components. */
    static String padded(String fixture, int dims) throws Exception {
        com.fasterxml.jackson.databind.JsonNode root = GatewayHarness.JSON.readTree(fixture);
        pad(root, dims);
        return GatewayHarness.JSON.writeValueAsString(root);
    }

    private static void pad(com.fasterxml.jackson.databind.JsonNode n, int dims) {
        if (n instanceof com.fasterxml.jackson.databind.node.ArrayNode a && a.size() > 0 && a.get(0).isNumber()) {
            while (a.size() < dims) {
                a.add(0.0);
            }
            return;
        }
        n.forEach(child -> pad(child, dims));
    }
}
