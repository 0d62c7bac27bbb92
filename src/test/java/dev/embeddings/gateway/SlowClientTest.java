package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A client that stops sending in the middle of its body gets 408 and its connection closed after
 * gateway.requestReadTimeoutMs (here 800 ms), instead of holding the connection for ever; a slow body that does
 * arrive in time is served.
 */
class SlowClientTest {

    private static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("model_list:\n  - model_name: mini\n    litellm_params:\n"
                + "      model: local/all-minilm-l6-v2\n", Map.of(), "--gateway.requestReadTimeoutMs=800");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    private static String head(int contentLength) {
        return "POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n";
    }

    /** Everything the server sends until it closes the connection (or 10 s pass). */
    private static String readAll(Socket s) throws Exception {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        for (int n; (n = in.read(buf)) != -1; ) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aBodyThatStopsMidwayGets408AndTheConnectionIsClosed() throws Exception {
        try (Socket s = new Socket("127.0.0.1", gw.port)) {
            OutputStream out = s.getOutputStream();
            out.write((head(100) + "{\"model\":").getBytes(StandardCharsets.UTF_8));
            out.flush();
            long t0 = System.nanoTime();
            String response = readAll(s); // returns only once the server closed the connection
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(response.startsWith("HTTP/1.1 408"), response);
            JsonNode error = GatewayHarness.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4))
                    .get("error");
            assertEquals("request_timeout", error.get("code").asText());
            assertEquals("invalid_request_error", error.get("type").asText());
            assertTrue(ms >= 500 && ms < 5000, "closed after " + ms + " ms with a timeout of 800 ms");
        }
    }

    @Test
    void aSlowBodyThatArrivesInTimeIsServed() throws Exception {
        String body = "{\"model\":\"mini\",\"input\":\"slow but steady\"}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", gw.port)) {
            OutputStream out = s.getOutputStream();
            out.write((head(bytes.length)).getBytes(StandardCharsets.UTF_8));
            out.write(bytes, 0, 10);
            out.flush();
            Thread.sleep(300);
            out.write(bytes, 10, bytes.length - 10);
            out.flush();
            s.setSoTimeout(10_000);
            byte[] buf = new byte[65536];
            int n = s.getInputStream().read(buf);
            String response = new String(buf, 0, n, StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            // the timer of a served request is cancelled: the keep-alive connection stays usable past the timeout
            Thread.sleep(1200);
            out.write((head(bytes.length) + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            n = s.getInputStream().read(buf);
            assertTrue(n > 0 && new String(buf, 0, n, StandardCharsets.UTF_8).startsWith("HTTP/1.1 200"));
        }
    }
}
