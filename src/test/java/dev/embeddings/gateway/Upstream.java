package dev.embeddings.gateway;

import com.github.tomakehurst.wiremock.WireMockServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

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
}
