package dev.embeddings.gateway;

import com.github.tomakehurst.wiremock.WireMockServer;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/** WireMock upstreams on loopback and the recorded-format fixtures in src/test/resources/upstream/. */
public final class Upstream {

    private Upstream() {
    }

    /** A started WireMock server on 127.0.0.1 and a free port. */
    public static WireMockServer start() {
        WireMockServer s = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
                .containerThreads(64).jettyAcceptors(2).asynchronousResponseEnabled(true));
        s.start();
        return s;
    }

    /** The text of {@code src/test/resources/upstream/<path>}. */
    public static String fixture(String path) {
        try (var in = Upstream.class.getResourceAsStream("/upstream/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The one request the upstream received, at {@code url}; fails if there was any other. */
    public static LoggedRequest onlyRequest(WireMockServer upstream, String url) {
        List<LoggedRequest> seen = upstream.findAll(postRequestedFor(urlEqualTo(url)));
        assertEquals(1, seen.size(), "requests to " + url);
        assertEquals(1, upstream.getAllServeEvents().size(), "no other upstream request");
        return seen.get(0);
    }

    /** A SigV4 signature by {@code keyId} for {@code region}/{@code service}, with its X-Amz-Date. */
    public static void assertSigV4(LoggedRequest req, String keyId, String region, String service) {
        String auth = req.getHeader("Authorization");
        assertTrue(Pattern.matches("AWS4-HMAC-SHA256 Credential=" + keyId + "/\\d{8}/" + region + "/" + service
                + "/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}", auth), auth);
        assertTrue(req.getHeader("X-Amz-Date").matches("\\d{8}T\\d{6}Z"), req.getHeader("X-Amz-Date"));
    }

    /** Equal JSON documents (field order and spacing aside). */
    public static void assertJson(String expected, String actual) throws Exception {
        assertEquals(GatewayHarness.JSON.readTree(expected), GatewayHarness.JSON.readTree(actual), actual);
    }
}
