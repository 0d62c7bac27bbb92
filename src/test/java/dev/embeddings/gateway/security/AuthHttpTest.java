package dev.embeddings.gateway.security;

import dev.embeddings.gateway.GatewayHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** master_key from os.environ/, checked on every API call; health needs no key. */
class AuthHttpTest {

    static final String KEY = "sk-test-4f9a1c";
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: mini
                    litellm_params:
                      model: local/all-minilm-l6-v2
                general_settings:
                  master_key: os.environ/GW_TEST_MASTER_KEY
                """, Map.of("GW_TEST_MASTER_KEY", KEY));
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    static final String BODY = "{\"model\":\"mini\",\"input\":\"hello\"}";

    private static void assertUnauthorized(HttpResponse<String> r) throws Exception {
        assertEquals(401, r.statusCode(), r.body());
        assertEquals("authentication_error", json(r).get("error").get("type").asText());
        assertEquals("invalid_api_key", json(r).get("error").get("code").asText());
        assertFalse(r.body().contains(KEY));
    }

    @Test
    void missingKeyIs401() throws Exception {
        assertUnauthorized(gw.post("/v1/embeddings", BODY));
        assertUnauthorized(gw.get("/v1/models"));
        assertUnauthorized(gw.get("/v1/models/mini"));
        assertUnauthorized(gw.get("/v1/models/no-such-model"));
    }

    @Test
    void wrongKeyIs401() throws Exception {
        assertUnauthorized(gw.post("/v1/embeddings", BODY, "Authorization", "Bearer sk-wrong"));
        assertUnauthorized(gw.post("/v1/embeddings", BODY, "api-key", "sk-wrong"));
        assertUnauthorized(gw.post("/v1/embeddings", BODY, "Authorization", KEY)); // no Bearer scheme
        assertUnauthorized(gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + KEY + "x"));
    }

    @Test
    void bearerKeyIsAccepted() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(384, json(r).get("data").get(0).get("embedding").size());
        assertEquals(200, gw.get("/v1/models", "Authorization", "Bearer " + KEY).statusCode());
    }

    @Test
    void azureApiKeyHeaderIsAccepted() throws Exception {
        HttpResponse<String> r = gw.post("/embeddings", BODY, "api-key", KEY);
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void authorizationHeaderIsNotEchoedBack() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + KEY);
        assertFalse(r.headers().map().keySet().stream().anyMatch(h -> h.equalsIgnoreCase("authorization")),
                r.headers().map().toString());
        assertFalse(r.headers().map().toString().contains(KEY));
    }

    @Test
    void queryParametersNeverAuthenticate() throws Exception {
        assertUnauthorized(gw.post("/v1/embeddings?api-key=" + KEY, BODY));
        assertUnauthorized(gw.post("/v1/embeddings?Authorization=Bearer%20" + KEY, BODY));
    }

    @Test
    void healthNeedsNoKey() throws Exception {
        assertEquals(200, gw.get("/health/liveliness").statusCode());
        assertEquals(200, gw.get("/health/readiness").statusCode());
    }
}
