package dev.embeddings.gateway.provider.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Azure OpenAI through /v1/embeddings against a WireMock upstream: exact upstream requests and error mapping. */
class AzureProviderTest {

    static final String KEY = "azure-key-5b7c9d1e";
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: ada
                    litellm_params:
                      model: azure/my-ada
                      api_base: %1$s
                      api_key: os.environ/AZ_KEY
                      api_version: "2024-02-01"
                      timeout: 1
                  - model_name: small-batches
                    litellm_params:
                      model: azure/batched
                      api_base: %1$s/
                      api_key: os.environ/AZ_KEY
                      api_version: "2024-02-01"
                      max_batch_size: 2
                      max_parallel_requests: 2
                  - model_name: ad-token
                    litellm_params:
                      model: azure/ignored-name
                      api_base: %1$s/openai/deployments/full-dep
                      azure_ad_token: os.environ/AZ_AD
                """.formatted(base), Map.of("AZ_KEY", KEY, "AZ_AD", "eyJ0eXAi.ad-token"));
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

    private static final String PATH = "/openai/deployments/my-ada/embeddings?api-version=2024-02-01";

    @Test
    void sendsTheAzureRequestAndNormalisesTheAnswer() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json")
                .withHeader("x-ratelimit-remaining-requests", "99")
                .withBody(fixture("azure/embeddings-2.json"))));

        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"first\",\"second\"],"
                + "\"dimensions\":3,\"user\":\"u-1\",\"input_type\":\"query\",\"metadata\":{\"x\":1}}",
                "Authorization", "Bearer client-key");
        assertEquals(200, r.statusCode(), r.body());

        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlPathEqualTo(
                "/openai/deployments/my-ada/embeddings")));
        assertEquals(1, seen.size());
        LoggedRequest req = seen.get(0);
        assertEquals(PATH, req.getUrl());
        assertEquals(KEY, req.getHeader("api-key"));
        assertFalse(req.containsHeader("Authorization"), "the client's Authorization must not reach Azure");
        assertEquals(GatewayHarness.JSON.readTree("{\"input\":[\"first\",\"second\"],\"encoding_format\":\"base64\","
                + "\"dimensions\":3,\"user\":\"u-1\"}"), GatewayHarness.JSON.readTree(req.getBodyAsString()));

        JsonNode body = json(r);
        float[][] v = vectors(body);
        assertArrayEquals(new float[]{0.0023064255f, -0.009327292f, -0.0028842222f}, v[0], 0f);
        assertArrayEquals(new float[]{0.25f, -0.5f, 0.125f}, v[1], 0f);
        assertEquals("ada", body.get("model").asText());
        assertEquals(9, body.get("usage").get("prompt_tokens").asInt());
        assertEquals("99", r.headers().firstValue("llm_provider-x-ratelimit-remaining-requests").orElse(null));
    }

    @Test
    void vectorsOfAnotherLengthThanTheDimensionsSentAre502() throws Exception {
        // the fixture's vectors have 3 components; the upstream ignored dimensions: 2
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200)
                .withBody(fixture("azure/embeddings-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"a\",\"b\"],"
                + "\"dimensions\":2}");
        assertEquals(502, r.statusCode(), r.body());
        JsonNode error = json(r).get("error");
        assertEquals("upstream_bad_response", error.get("code").asText());
        assertEquals("The upstream returned an unusable answer: embeddings of 3 dimensions, when 2 were asked for.",
                error.get("message").asText());
    }

    @Test
    void tokenIdsAreForwardedAsTheyAre() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).withRequestBody(equalToJson(
                "{\"input\":[[15339,1917],[9906]],\"encoding_format\":\"base64\"}"))
                .willReturn(aResponse().withStatus(200).withBody(fixture("azure/embeddings-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[[15339,1917],[9906]]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, json(r).get("data").size());
    }

    @Test
    void adTokenGoesAsBearerAndAFullBaseIsUsedAsItIs() throws Exception {
        upstream.stubFor(post(urlEqualTo("/openai/deployments/full-dep/embeddings?api-version="
                + AzureAdapter.DEFAULT_API_VERSION)).withHeader("Authorization", equalTo("Bearer eyJ0eXAi.ad-token"))
                .willReturn(aResponse().withStatus(200).withBody(fixture("azure/embeddings-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ad-token\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertFalse(upstream.getAllServeEvents().get(0).getRequest().containsHeader("api-key"));
    }

    @Test
    void longInputsAreBatchedAndReassembledInOrder() throws Exception {
        String path = "/openai/deployments/batched/embeddings?api-version=2024-02-01";
        for (int b = 0; b < 3; b++) {
            int first = b * 2;
            int count = b == 2 ? 1 : 2;
            StringBuilder in = new StringBuilder();
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < count; i++) {
                in.append(i > 0 ? "," : "").append("\"t").append(first + i).append('"');
                data.append(i > 0 ? "," : "").append("{\"index\":").append(i).append(",\"embedding\":[")
                        .append(first + i).append(",0.5]}");
            }
            upstream.stubFor(post(urlEqualTo(path)).withRequestBody(equalToJson("{\"input\":[" + in
                    + "],\"encoding_format\":\"base64\"}")).willReturn(aResponse().withStatus(200)
                    .withFixedDelay(50 * (3 - b)) // later batches answer first
                    .withBody("{\"data\":[" + data + "],\"usage\":{\"prompt_tokens\":" + count + "}}")));
        }
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"small-batches\",\"input\":[\"t0\",\"t1\",\"t2\",\"t3\",\"t4\"]}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] v = vectors(json(r));
        assertEquals(5, v.length);
        for (int i = 0; i < 5; i++) {
            assertEquals(i, v[i][0], 0f);
        }
        assertEquals(5, json(r).get("usage").get("prompt_tokens").asInt());
        assertEquals(3, upstream.findAll(postRequestedFor(urlPathEqualTo(
                "/openai/deployments/batched/embeddings"))).size());
    }

    @ParameterizedTest(name = "upstream {0} -> {1}")
    @CsvSource({
            "400, 400, invalid_request_error, upstream_bad_request",
            // the gateway's own credentials for the provider failed: not the client's key (that is a 401)
            "401, 502, api_error, upstream_authentication_error",
            "403, 502, api_error, upstream_permission_denied",
            "404, 404, invalid_request_error, upstream_not_found",
            "422, 400, invalid_request_error, upstream_bad_request",
            "500, 502, api_error, upstream_error",
            "503, 502, api_error, upstream_error",
    })
    void upstreamStatusesAreMapped(int upstreamStatus, int status, String type, String code) throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(upstreamStatus)
                .withBody("{\"error\":{\"message\":\"failure with key " + KEY + " and AKIAABCDEFGHIJKLMNOP\"}}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":\"x\"}");
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals(type, e.get("type").asText());
        assertEquals(code, e.get("code").asText());
        String message = e.get("message").asText();
        assertTrue(message.contains("Azure OpenAI") && message.contains(String.valueOf(upstreamStatus)), message);
        assertFalse(r.body().contains(KEY), "the api key leaked: " + r.body());
        assertFalse(r.body().contains("AKIAABCDEFGHIJKLMNOP"), r.body());
    }

    @Test
    void rateLimitKeepsRetryAfter() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")
                .withBody(fixture("azure/error-429.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":\"x\"}");
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("7", r.headers().firstValue("Retry-After").orElse(null));
        assertEquals("rate_limit_error", json(r).get("error").get("type").asText());
    }

    @Test
    void contextLengthErrorIs400WithItsCode() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(400)
                .withBody(fixture("azure/error-context-length.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":\"x\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("context_length_exceeded", json(r).get("error").get("code").asText());
    }

    @Test
    void malformedBodiesAre502() throws Exception {
        for (String bad : new String[]{"not json", "{\"data\":[{\"index\":0}]}", "{\"data\":\"x\"}",
                "{\"data\":[{\"index\":0,\"embedding\":[1e999]},{\"index\":1,\"embedding\":[1]}]}",
                "{\"data\":[{\"index\":0,\"embedding\":[1,2]},{\"index\":1,\"embedding\":[1]}]}",
                "{\"data\":[{\"index\":0,\"embedding\":[]},{\"index\":1,\"embedding\":[]}]}",
                "{\"data\":[{\"index\":0,\"embedding\":\"!!!\"},{\"index\":1,\"embedding\":\"AAAAAA==\"}]}",
                "{\"data\":[{\"index\":-5,\"embedding\":[1]},{\"index\":1,\"embedding\":[1]}]}",
                "{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":0,\"embedding\":[2]}]}",
                "{\"error\":{\"message\":\"oops\"}}", ""}) {
            upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200).withBody(bad)));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"x\",\"y\"]}");
            assertEquals(502, r.statusCode(), bad + " -> " + r.body());
            assertEquals("api_error", json(r).get("error").get("type").asText());
        }
    }

    @Test
    void anErrorBodyWithA2xxNeverCarriesTheKey() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200)
                .withBody("{\"error\":{\"message\":\"invalid key " + KEY + "\"}}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"x\",\"y\"]}");
        assertEquals(502, r.statusCode(), r.body());
        assertFalse(r.body().contains(KEY), r.body());
        assertTrue(r.body().contains("[redacted]"), r.body());
    }

    @Test
    void countMismatchIs502() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200)
                .withBody("{\"data\":[{\"index\":0,\"embedding\":[1,2]}]}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"x\",\"y\"]}");
        assertEquals(502, r.statusCode(), r.body());
    }

    @Test
    void slowUpstreamIs504Timeout() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withStatus(200).withFixedDelay(2500)
                .withBody(fixture("azure/embeddings-2.json"))));
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":[\"x\",\"y\"]}");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(504, r.statusCode(), r.body());
        assertEquals("timeout", json(r).get("error").get("type").asText());
        assertTrue(ms < 2400, "took " + ms + " ms with a 1 s timeout");
    }

    @Test
    void connectionResetIs502() throws Exception {
        upstream.stubFor(post(urlEqualTo(PATH)).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"ada\",\"input\":\"x\"}");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("upstream_connection_error", json(r).get("error").get("code").asText());
    }

    @Test
    void oneFailedBatchFailsTheRequest() throws Exception {
        String path = "/openai/deployments/batched/embeddings?api-version=2024-02-01";
        upstream.stubFor(post(urlEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withBody("{\"data\":[{\"index\":0,\"embedding\":[1]},{\"index\":1,\"embedding\":[2]}]}")));
        upstream.stubFor(post(urlEqualTo(path)).withRequestBody(equalToJson(
                "{\"input\":[\"c\",\"d\"],\"encoding_format\":\"base64\"}")).willReturn(aResponse().withStatus(429)));
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"small-batches\",\"input\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}");
        assertEquals(429, r.statusCode(), r.body());
    }
}
