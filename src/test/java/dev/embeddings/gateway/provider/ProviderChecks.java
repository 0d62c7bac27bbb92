package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;

import java.net.http.HttpResponse;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checks every provider test repeats: the shared error mapping, the one request an upstream saw. */
public final class ProviderChecks {

    private ProviderChecks() {
    }

    /**
     * The upstream at {@code path} answering 400, 401, 403, 429 (Retry-After 7), 500 and 503 with {@code errorBody}
     * (a recorded-format error of the provider, whose message must surface sanitised): each maps to the shared
     * codes, names the provider and the upstream status, and never carries {@code secret}. Upstream 401/403 are
     * checked by code and message only (their status is the security work's: 401/403 today, 502 after it).
     */
    public static void errorsAreMapped(GatewayHarness gw, WireMockServer upstream, String path, String model,
                                       String provider, String errorBody, String secret) throws Exception {
        Object[][] cases = {
                {400, 400, "upstream_bad_request"},
                {401, null, "upstream_authentication_error"},
                {403, null, "upstream_permission_denied"},
                {429, 429, "rate_limit_exceeded"},
                {500, 502, "upstream_error"},
                {503, 502, "upstream_error"},
        };
        for (Object[] c : cases) {
            upstream.resetAll();
            upstream.stubFor(post(urlPathEqualTo(path)).willReturn(aResponse().withStatus((Integer) c[0])
                    .withHeader("Content-Type", "application/json").withHeader("Retry-After", "7")
                    .withBody(errorBody)));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":\"x\"}");
            String what = provider + " " + c[0] + " -> " + r.body();
            if (c[1] != null) {
                assertEquals(c[1], r.statusCode(), what);
            } else {
                assertTrue(r.statusCode() == 401 || r.statusCode() == 403 || r.statusCode() == 502, what);
            }
            JsonNode e = json(r).get("error");
            assertEquals(c[2], e.get("code").asText(), what);
            String message = e.get("message").asText();
            assertTrue(message.startsWith(provider + " upstream returned HTTP " + c[0]), what);
            if ((Integer) c[0] == 429) {
                assertEquals("7", r.headers().firstValue("Retry-After").orElse(null), what);
            }
            if (secret != null) {
                assertFalse(r.body().contains(secret), "secret leaked: " + r.body());
            }
            assertEquals(1, upstream.getAllServeEvents().size(), "attempted once: " + what);
        }
        upstream.resetAll();
    }

    /** The one request the upstream received (fails if there was any other). */
    public static LoggedRequest only(WireMockServer upstream) {
        List<com.github.tomakehurst.wiremock.stubbing.ServeEvent> events = upstream.getAllServeEvents();
        assertEquals(1, events.size(), "upstream requests");
        return events.get(0).getRequest();
    }
}
