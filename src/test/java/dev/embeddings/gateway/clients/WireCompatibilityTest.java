package dev.embeddings.gateway.clients;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.GatewayHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Wire details clients depend on: paths, headers, framing, and the exact shapes LangChain (Python) sends. */
class WireCompatibilityTest {

    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: all-minilm-l6-v2
                    litellm_params:
                      model: local/all-minilm-l6-v2
                  - model_name: other
                    litellm_params:
                      model: local/all-minilm-l6-v2
                  - model_name: mini-matryoshka
                    litellm_params:
                      model: local/all-minilm-l6-v2
                      matryoshka: true
                """, Map.of());
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void langChainPythonTokenArraysWithBase64() throws Exception {
        // LangChain's OpenAIEmbeddings (Python) tokenises with cl100k_base and sends arrays of ids, asking base64:
        // "hello world" = [15339, 1917], "A man is riding a horse." = [32, 893, 374, 20427, 264, 15580, 13]
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":[[15339,1917],"
                + "[32,893,374,20427,264,15580,13]],\"encoding_format\":\"base64\"}");
        assertEquals(200, r.statusCode(), r.body());
        float[][] expected = vectors(json(gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"hello world\",\"A man is riding a horse.\"]}")));
        JsonNode data = json(r).get("data");
        for (int i = 0; i < 2; i++) {
            byte[] b = Base64.getDecoder().decode(data.get(i).get("embedding").asText());
            float[] v = new float[b.length / 4];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            assertArrayEquals(expected[i], v, 1e-6f);
        }
    }

    @Test
    void azureDeploymentPathModelWinsOverTheBody() throws Exception {
        float[][] direct = vectors(json(gw.post("/v1/embeddings", "{\"model\":\"other\",\"input\":\"hi\"}")));
        HttpResponse<String> r = gw.post("/openai/deployments/other/embeddings?api-version=2024-10-21",
                "{\"model\":\"no-such\",\"input\":\"hi\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("other", json(r).get("model").asText());
        assertArrayEquals(direct[0], vectors(json(r))[0], 0f);
        HttpResponse<String> noModel = gw.post("/openai/deployments/other/embeddings?api-version=2024-10-21",
                "{\"input\":\"hi\"}");
        assertEquals(200, noModel.statusCode(), noModel.body());
        HttpResponse<String> engines = gw.post("/engines/other/embeddings", "{\"input\":\"hi\"}");
        assertEquals(200, engines.statusCode(), engines.body());
        assertEquals(404, gw.post("/openai/deployments/nope/embeddings?api-version=1", "{\"input\":\"hi\"}")
                .statusCode());
    }

    @Test
    void requestIdIsKeptOrAssigned() throws Exception {
        HttpResponse<String> kept = gw.post("/v1/embeddings", "{\"model\":\"other\",\"input\":\"hi\"}",
                "x-request-id", "req-abc-123");
        assertEquals("req-abc-123", kept.headers().firstValue("x-request-id").orElse(null));
        HttpResponse<String> assigned = gw.post("/v1/embeddings", "{\"model\":\"other\",\"input\":\"hi\"}");
        assertTrue(assigned.headers().firstValue("x-request-id").orElse("").matches("[0-9a-f-]{36}"));
        HttpResponse<String> error = gw.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"hi\"}",
                "x-request-id", "req-err-1");
        assertEquals(404, error.statusCode());
        assertEquals("req-err-1", error.headers().firstValue("x-request-id").orElse(null));
    }

    @Test
    void framingIsSoundOnSuccessAndError() throws Exception {
        for (String body : new String[]{"{\"model\":\"other\",\"input\":[\"a\",\"b\"]}", "{\"model\":\"nope\",\"input\":\"x\"}",
                "{bad"}) {
            String raw = rawPost("/v1/embeddings", body);
            String head = raw.substring(0, raw.indexOf("\r\n\r\n")).toLowerCase(Locale.ROOT);
            boolean cl = head.contains("\ncontent-length:");
            boolean te = head.contains("\ntransfer-encoding:");
            assertTrue(cl ^ te, "exactly one of Content-Length / Transfer-Encoding:\n" + head);
            assertTrue(head.contains("\ncontent-type: application/json"), head);
            if (cl) {
                int len = Integer.parseInt(head.replaceAll("(?s).*\ncontent-length: *(\\d+).*", "$1"));
                assertEquals(len, raw.substring(raw.indexOf("\r\n\r\n") + 4).getBytes(StandardCharsets.UTF_8).length);
            }
            assertFalse(head.startsWith("http/1.1 2") && raw.contains("\"error\""), "2xx with an error body");
        }
    }

    @Test
    void matryoshkaTruncatesAndRenormalises() throws Exception {
        float[] full = vectors(json(gw.post("/v1/embeddings", "{\"model\":\"other\",\"input\":\"hello there\"}")))[0];
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"mini-matryoshka\",\"input\":\"hello there\",\"dimensions\":64}");
        assertEquals(200, r.statusCode(), r.body());
        float[] cut = vectors(json(r))[0];
        assertEquals(64, cut.length);
        assertEquals(1.0, GatewayHarness.norm(cut), 1e-5);
        double scale = GatewayHarness.norm(java.util.Arrays.copyOf(full, 64));
        for (int i = 0; i < 64; i++) {
            assertEquals(full[i] / scale, cut[i], 1e-6);
        }
        assertEquals(400, gw.post("/v1/embeddings", "{\"model\":\"mini-matryoshka\",\"input\":\"x\",\"dimensions\":500}")
                .statusCode());
    }

    @Test
    void multiScriptAndEmojiRoundTripThroughTokenIds() throws Exception {
        // valid multi-script text is embedded as it is: the same vector as its own token ids decoded
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"other\",\"input\":[\"naïve café 😀\",\"Ελληνικά\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(2, json(r).get("data").size());
    }

    private String rawPost(String path, String body) throws Exception {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket("127.0.0.1", gw.port)) {
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(b);
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.UTF_8);
        }
    }
}
