package dev.embeddings.gateway.provider.cohere;

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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
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

/** Cohere's API v2 (/v2/embed) through /v1/embeddings: texts, images, input_type, truncate, v4 dimensions, errors. */
class CohereProviderTest {

    static final String KEY = "co-test-key-3e5d7f";
    /** A 1×1 PNG. */
    static final String PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: cohere-v3
                    litellm_params:
                      model: cohere/embed-english-v3.0
                      api_base: %1$s
                      truncate: START
                      max_batch_size: 2
                  - model_name: cohere-v4
                    litellm_params:
                      model: cohere/embed-v4.0
                      api_base: %1$s?client=gw
                      api_key: os.environ/OTHER_KEY
                  - model_name: cohere-v2
                    litellm_params:
                      model: cohere/embed-english-v2.0
                      api_base: %1$s
                """.formatted(base), Map.of("COHERE_API_KEY", KEY, "OTHER_KEY", "co-other-1a2b"));
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
    void textsGoToV2EmbedWithInputTypeAndTheDeploymentsTruncate() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v2/embed")).willReturn(aResponse().withStatus(200)
                .withBody(fixture("cohere/embed-v2-floats.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v3\",\"input\":[\"hello\",\"goodbye\"],"
                + "\"input_type\":\"query\"}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/v2/embed", req.getUrl());
        assertEquals("Bearer " + KEY, req.getHeader("Authorization"));
        assertJson("{\"model\":\"embed-english-v3.0\",\"texts\":[\"hello\",\"goodbye\"],\"input_type\":\"search_query\","
                + "\"embedding_types\":[\"float\"],\"truncate\":\"START\"}", req.getBodyAsString());
        JsonNode body = json(r);
        assertArrayEquals(new float[]{-0.03643799f, 0.027267456f, 0.016860962f}, vectors(body)[1], 0f);
        assertEquals(2, body.get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void inputTypeDefaultsToSearchDocumentAndBatchesOfTwoKeepOrder() throws Exception {
        for (int b = 0; b < 2; b++) {
            String texts = b == 0 ? "[\"a\",\"b\"]" : "[\"c\"]";
            String floats = b == 0 ? "[[0,1],[1,1]]" : "[[2,1]]";
            upstream.stubFor(post(urlPathEqualTo("/v2/embed")).withRequestBody(
                    com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath("$.texts", com.github.tomakehurst
                            .wiremock.client.WireMock.equalToJson(texts))).willReturn(aResponse().withStatus(200)
                    .withFixedDelay(b == 0 ? 150 : 0).withBody("{\"embeddings\":{\"float\":" + floats
                            + "},\"meta\":{\"billed_units\":{\"input_tokens\":" + (b + 1) + "}}}")));
        }
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v3\",\"input\":[\"a\",\"b\",\"c\"]}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] v = vectors(json(r));
        for (int i = 0; i < 3; i++) {
            assertEquals(i, v[i][0], 0f);
        }
        assertEquals(3, json(r).get("usage").get("prompt_tokens").asInt());
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlPathEqualTo("/v2/embed")));
        assertEquals(2, seen.size());
        for (LoggedRequest req : seen) {
            assertEquals("search_document", GatewayHarness.JSON.readTree(req.getBodyAsString())
                    .get("input_type").asText());
        }
    }

    @Test
    void v4TakesOutputDimensionAndItsApiBaseQueryStays() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v2/embed")).willReturn(aResponse().withStatus(200)
                .withBody("{\"embeddings\":{\"float\":[[0.5,0.25]]},\"meta\":{\"billed_units\":{\"input_tokens\":1}}}")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v4\",\"input\":\"x\",\"dimensions\":256}");
        // two floats for 256 asked: the gateway refuses an answer of another length
        assertEquals(502, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/v2/embed?client=gw", req.getUrl());
        assertEquals("Bearer co-other-1a2b", req.getHeader("Authorization"));
        assertJson("{\"model\":\"embed-v4.0\",\"texts\":[\"x\"],\"input_type\":\"search_document\","
                + "\"embedding_types\":[\"float\"],\"output_dimension\":256}", req.getBodyAsString());
        HttpResponse<String> bad = gw.post("/v1/embeddings", "{\"model\":\"cohere-v4\",\"input\":\"x\",\"dimensions\":300}");
        assertEquals(400, bad.statusCode());
        assertEquals("Model 'cohere-v4' supports dimensions 256, 512, 1024, 1536, not 300.",
                json(bad).get("error").get("message").asText());
    }

    @Test
    void anImageIsSentByteForByteAsADataUrlWithInputTypeImage() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v2/embed")).willReturn(aResponse().withStatus(200)
                .withBody(fixture("cohere/embed-v2-image.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v4\",\"input\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"data:image/png;base64," + PNG + "\"}}]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("{\"model\":\"embed-v4.0\",\"images\":[\"data:image/png;base64," + PNG + "\"],"
                + "\"input_type\":\"image\",\"embedding_types\":[\"float\"]}", new String(req.getBody(),
                StandardCharsets.UTF_8));
        assertArrayEquals(new float[]{-0.007247925f, -0.041229248f, -0.023223877f, -0.08392334f},
                vectors(json(r))[0], 0f);
        assertEquals(1000, json(r).get("usage").get("prompt_tokens").asInt());
    }

    @Test
    void imagesAreCheckedBeforeAnyCall() throws Exception {
        String big = Base64.getEncoder().encodeToString(new byte[5 * 1024 * 1024 + 3]);
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v3\",\"input\":[\"text\","
                + "\"data:image/png;base64," + big + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[1] is an image of 5242883 bytes; model 'cohere-v3' accepts images of at most 5242880 bytes.",
                json(r).get("error").get("message").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v2\",\"input\":[\"data:image/png;base64," + PNG + "\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("Model 'cohere-v2' does not accept image inputs (input[0] is an image).",
                json(r).get("error").get("message").asText());
        r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v3\",\"input\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"https://example.com/cat.png\"}}]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("input[0]: only base64 data URLs (data:image/png;base64,...) are accepted as images; the gateway "
                + "does not fetch URLs.", json(r).get("error").get("message").asText());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void upstreamErrorsAreMapped() throws Exception {
        ProviderChecks.errorsAreMapped(gw, upstream, "/v2/embed", "cohere-v2", "Cohere",
                fixture("cohere/error-400.json"), KEY);
        upstream.stubFor(post(urlPathEqualTo("/v2/embed")).willReturn(aResponse().withStatus(429)
                .withBody(fixture("cohere/error-429.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"cohere-v2\",\"input\":\"x\"}");
        assertEquals(429, r.statusCode());
        org.junit.jupiter.api.Assertions.assertTrue(json(r).get("error").get("message").asText().startsWith(
                "Cohere upstream returned HTTP 429: You are using a Trial key, which is limited to 100 API calls / "
                        + "minute."), r.body());
    }
}
