package dev.embeddings.gateway.provider.google;

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

import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.Signature;
import java.util.Base64;
import java.util.HashMap;
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
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Vertex AI (:predict with an OAuth2 token from a service-account key, issued by a fake token endpoint on loopback)
 * and Gemini (batchEmbedContents with an API key) against WireMock.
 */
class GoogleProviderTest {

    static final String TOKEN = "ya29.c.test-vertex-access-token-7f3a";
    static final String GEMINI_KEY = "AIzaSy-test-gemini-key-0c9b";
    static final String PREDICT = "/v1/projects/my-project/locations/europe-west4/publishers/google/models/"
            + "text-embedding-005:predict";
    static WireMockServer upstream;
    static GatewayHarness gw;
    static KeyPair key;

    /** A service-account key file (a fresh RSA key, kept in {@link #key}) whose token_uri is {@code tokenUri}. */
    static Path serviceAccount(String tokenUri) throws Exception {
        KeyPair[] k = new KeyPair[1];
        Path f = ServiceAccounts.write(tokenUri, k);
        key = k[0];
        return f;
    }

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        Path sa = serviceAccount(base + "/token");
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: vertex
                    litellm_params:
                      model: vertex_ai/text-embedding-005
                      vertex_credentials: os.environ/VERTEX_SA
                      vertex_location: europe-west4
                      api_base: %1$s
                      auto_truncate: false
                  - model_name: vertex-mm
                    litellm_params:
                      model: vertex_ai/multimodalembedding@001
                      vertex_credentials: os.environ/VERTEX_SA
                      vertex_project: other-project
                      api_base: %1$s
                  - model_name: gemini
                    litellm_params:
                      model: gemini/gemini-embedding-001
                      api_key: os.environ/GEMINI_API_KEY
                      api_base: %1$s
                      max_batch_size: 2
                """.formatted(base), Map.of("VERTEX_SA", sa.toString(), "GEMINI_API_KEY", GEMINI_KEY));
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
        upstream.stubFor(post(urlPathEqualTo("/token")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(fixture("vertex_ai/token.json"))));
    }

    @Test
    void vertexGetsATokenFromTheServiceAccountAndItsExactPredictRequest() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(PREDICT)).willReturn(aResponse().withStatus(200)
                .withBody(fixture("vertex_ai/predict-text.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"vertex\",\"input\":[\"q one\",\"q two\"],"
                + "\"input_type\":\"search_query\",\"dimensions\":3}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest predict = upstream.findAll(postRequestedFor(urlPathEqualTo(PREDICT))).get(0);
        assertEquals("Bearer " + TOKEN, predict.getHeader("Authorization"));
        assertJson("{\"instances\":[{\"content\":\"q one\",\"task_type\":\"RETRIEVAL_QUERY\"},{\"content\":\"q two\","
                + "\"task_type\":\"RETRIEVAL_QUERY\"}],\"parameters\":{\"autoTruncate\":false,"
                + "\"outputDimensionality\":3}}", predict.getBodyAsString());
        JsonNode body = json(r);
        assertArrayEquals(new float[]{-0.0211f, 0.0472f, -0.0094f}, vectors(body)[1], 0f);
        assertEquals(10, body.get("usage").get("prompt_tokens").asInt());

        // the token endpoint got a JWT bearer grant signed with the service account's key, for cloud-platform
        List<LoggedRequest> tokenRequests = upstream.findAll(postRequestedFor(urlPathEqualTo("/token")));
        assertFalse(tokenRequests.isEmpty());
        Map<String, String> form = new HashMap<>();
        for (String kv : tokenRequests.get(0).getBodyAsString().split("&")) {
            String[] p = kv.split("=", 2);
            form.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8));
        }
        assertEquals("urn:ietf:params:oauth:grant-type:jwt-bearer", form.get("grant_type"));
        String[] jwt = form.get("assertion").split("\\.");
        JsonNode claims = GatewayHarness.JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
        assertEquals("gateway@my-project.iam.gserviceaccount.com", claims.get("iss").asText());
        assertEquals("https://www.googleapis.com/auth/cloud-platform", claims.get("scope").asText());
        // the audience is Google's token server whatever token_uri says (the library's choice); the grant itself
        // went to the key's token_uri on loopback, as the journal shows
        assertEquals("https://oauth2.googleapis.com/token", claims.get("aud").asText());
        Signature rs256 = Signature.getInstance("SHA256withRSA");
        rs256.initVerify(key.getPublic());
        rs256.update((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.US_ASCII));
        assertTrue(rs256.verify(Base64.getUrlDecoder().decode(jwt[2])), "the JWT is signed with the key");

        // a second request reuses the cached token
        upstream.resetRequests();
        assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"vertex\",\"input\":[\"a\",\"b\"]}").statusCode());
        assertEquals(0, upstream.findAll(postRequestedFor(urlPathEqualTo("/token"))).size());
    }

    @Test
    void vertexErrorsAreMappedAndTheFetchedTokenIsRedacted() throws Exception {
        ProviderChecks.errorsAreMapped(gw, upstream, PREDICT, "vertex", "Vertex AI",
                "{\"error\":{\"code\":400,\"message\":\"bad token " + TOKEN + "\",\"status\":\"INVALID_ARGUMENT\"}}",
                TOKEN);
        reset();
        upstream.stubFor(post(urlPathEqualTo(PREDICT)).willReturn(aResponse().withStatus(403)
                .withBody(fixture("vertex_ai/error-403.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"vertex\",\"input\":\"x\"}");
        assertEquals("upstream_permission_denied", json(r).get("error").get("code").asText());
        assertTrue(json(r).get("error").get("message").asText().contains("aiplatform.endpoints.predict"), r.body());
    }

    @Test
    void aTokenEndpointThatRefusesIsAnUpstreamAuthenticationError() throws Exception {
        // a fresh gateway: its credentials have no token yet
        Path sa = serviceAccount("http://127.0.0.1:" + upstream.port() + "/token-refused");
        upstream.stubFor(post(urlPathEqualTo("/token-refused")).willReturn(aResponse().withStatus(400)
                .withBody("{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}")));
        try (GatewayHarness other = GatewayHarness.start("""
                model_list:
                  - model_name: vertex
                    litellm_params: {model: vertex_ai/text-embedding-005, vertex_credentials: %s, api_base: "http://127.0.0.1:%d"}
                """.formatted(sa, upstream.port()), Map.of())) {
            HttpResponse<String> r = other.post("/v1/embeddings", "{\"model\":\"vertex\",\"input\":\"x\"}");
            assertEquals(502, r.statusCode(), r.body());
            assertEquals("upstream_authentication_error", json(r).get("error").get("code").asText());
            assertTrue(json(r).get("error").get("message").asText().startsWith("Vertex AI: no access token could be "
                    + "obtained for model 'vertex'"), r.body());
            assertEquals(0, upstream.findAll(postRequestedFor(urlPathEqualTo(PREDICT))).size());
        }
    }

    @Test
    void vertexMultimodalEmbedsAnImage() throws Exception {
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        String path = "/v1/projects/other-project/locations/us-central1/publishers/google/models/"
                + "multimodalembedding@001:predict";
        upstream.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withBody(fixture("vertex_ai/predict-multimodal-image.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"vertex-mm\",\"input\":[\"data:image/png;base64,"
                + png + "\"],\"dimensions\":128}");
        // the fixture has 4 values where 128 were asked
        assertEquals(502, r.statusCode(), r.body());
        LoggedRequest req = upstream.findAll(postRequestedFor(urlPathEqualTo(path))).get(0);
        assertJson("{\"instances\":[{\"image\":{\"bytesBase64Encoded\":\"" + png + "\",\"mimeType\":\"image/png\"}}],"
                + "\"parameters\":{\"dimension\":128}}", req.getBodyAsString());
        r = gw.post("/v1/embeddings", "{\"model\":\"vertex-mm\",\"input\":[\"data:image/png;base64," + png + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertArrayEquals(new float[]{-0.00360147f, 0.0137401f, 0.0170549f, -0.0112537f}, vectors(json(r))[0], 0f);
        r = gw.post("/v1/embeddings", "{\"model\":\"vertex\",\"input\":[\"data:image/png;base64," + png + "\"]}");
        assertEquals(400, r.statusCode());
        assertEquals("Model 'vertex' does not accept image inputs (input[0] is an image).",
                json(r).get("error").get("message").asText());
    }

    @Test
    void geminiGetsBatchEmbedContentsWithTheKeyInAHeaderInBatchesOfTwo() throws Exception {
        String path = "/v1beta/models/gemini-embedding-001:batchEmbedContents";
        upstream.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus(200)
                .withBody(fixture("gemini/batch-embed-contents.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"gemini\",\"input\":[\"a\",\"b\",\"c\",\"d\"],"
                + "\"task_type\":\"RETRIEVAL_DOCUMENT\",\"title\":\"Doc\",\"dimensions\":3}");
        assertEquals(200, r.statusCode(), r.body());
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlPathEqualTo(path)));
        assertEquals(2, seen.size());
        LoggedRequest first = seen.stream().filter(q -> q.getBodyAsString().contains("\"a\"")).findFirst().orElseThrow();
        assertEquals(path, first.getUrl(), "the key never goes into the URL");
        assertEquals(GEMINI_KEY, first.getHeader("x-goog-api-key"));
        assertFalse(first.containsHeader("Authorization"));
        assertJson("{\"requests\":[{\"model\":\"models/gemini-embedding-001\",\"content\":{\"parts\":[{\"text\":\"a\"}]},"
                + "\"taskType\":\"RETRIEVAL_DOCUMENT\",\"title\":\"Doc\",\"outputDimensionality\":3},"
                + "{\"model\":\"models/gemini-embedding-001\",\"content\":{\"parts\":[{\"text\":\"b\"}]},"
                + "\"taskType\":\"RETRIEVAL_DOCUMENT\",\"title\":\"Doc\",\"outputDimensionality\":3}]}",
                first.getBodyAsString());
        float[][] v = vectors(json(r));
        assertEquals(4, v.length);
        assertArrayEquals(new float[]{-0.024219489f, 0.001352148f, 0.034117825f}, v[3], 0f);
        assertEquals(4, json(r).get("usage").get("prompt_tokens").asInt(), "counted: Gemini reports no usage");
    }

    @Test
    void geminiErrorsAreMapped() throws Exception {
        ProviderChecks.errorsAreMapped(gw, upstream, "/v1beta/models/gemini-embedding-001:batchEmbedContents",
                "gemini", "Gemini", fixture("gemini/error-400.json"), GEMINI_KEY);
    }
}
