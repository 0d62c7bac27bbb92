package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.cosine;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.norm;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The in-process all-MiniLM-L6-v2 model through real HTTP, the default config of the repo. */
class LocalModelHttpTest {

    static GatewayHarness gw;
    static final String SENTENCES = "[\"A man is eating food.\", \"A man is eating a piece of bread.\", "
            + "\"A man is riding a horse.\"]";

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.startWith(java.nio.file.Path.of("config", "config.yaml"), java.nio.file.Path.of("routes"),
                Map.of(), false);
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    @Test
    void threeSentencesGiveUnitVectorsWithKnownSimilarity() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":" + SENTENCES + "}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
        JsonNode body = json(r);
        assertEquals("list", body.get("object").asText());
        assertEquals("all-minilm-l6-v2", body.get("model").asText());
        float[][] v = vectors(body);
        assertEquals(3, v.length);
        for (float[] x : v) {
            assertEquals(384, x.length);
            assertEquals(1.0, norm(x), 1e-3);
        }
        double c01 = cosine(v[0], v[1]);
        double c02 = cosine(v[0], v[2]);
        assertEquals(0.755, c01, 0.01);
        assertTrue(c01 > c02, "eating/eating " + c01 + " should exceed eating/riding " + c02);
        assertEquals("embedding", body.get("data").get(0).get("object").asText());
        int prompt = body.get("usage").get("prompt_tokens").asInt();
        assertTrue(prompt > 0);
        assertEquals(prompt, body.get("usage").get("total_tokens").asInt());
    }

    @Test
    void orderFollowsInputAndSingleStringMatchesArrayItem() throws Exception {
        float[][] batch = vectors(json(gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":" + SENTENCES + "}")));
        float[][] reversed = vectors(json(gw.post("/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":["
                + "\"A man is riding a horse.\", \"A man is eating a piece of bread.\", \"A man is eating food.\"]}")));
        float[][] single = vectors(json(gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"A man is riding a horse.\"}")));
        for (int i = 0; i < 3; i++) {
            assertEquals(1.0, cosine(batch[i], reversed[2 - i]), 1e-5);
        }
        assertEquals(1, single.length);
        assertEquals(1.0, cosine(single[0], batch[2]), 1e-5);
    }

    @Test
    void base64DecodesToTheFloatVectors() throws Exception {
        String req = "{\"model\":\"all-minilm-l6-v2\",\"input\":" + SENTENCES;
        float[][] floats = vectors(json(gw.post("/v1/embeddings", req + ",\"encoding_format\":\"float\"}")));
        JsonNode b64 = json(gw.post("/v1/embeddings", req + ",\"encoding_format\":\"base64\"}"));
        for (int i = 0; i < 3; i++) {
            byte[] bytes = Base64.getDecoder().decode(b64.get("data").get(i).get("embedding").asText());
            assertEquals(384 * 4, bytes.length);
            float[] decoded = new float[384];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
            assertArrayEquals(floats[i], decoded, 0f);
        }
    }

    @Test
    void aliasServesTheSameModelAndEchoesItsName() throws Exception {
        JsonNode a = json(gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello world\"}"));
        JsonNode b = json(gw.post("/v1/embeddings", "{\"model\":\"text-embedding-local\",\"input\":\"hello world\"}"));
        assertEquals("text-embedding-local", b.get("model").asText());
        assertArrayEquals(vectors(a)[0], vectors(b)[0], 0f);
    }

    @Test
    void tokenIdInputIsDecodedWithCl100k() throws Exception {
        // cl100k_base: "hello world" = [15339, 1917]
        float[][] ids = vectors(json(gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":[[15339, 1917]]}")));
        float[][] text = vectors(json(gw.post("/v1/embeddings",
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello world\"}")));
        assertArrayEquals(text[0], ids[0], 1e-6f);
    }

    @Test
    void modelsListsConfiguredNames() throws Exception {
        for (String path : new String[]{"/v1/models", "/models"}) {
            HttpResponse<String> r = gw.get(path);
            assertEquals(200, r.statusCode());
            JsonNode body = json(r);
            assertEquals("list", body.get("object").asText());
            assertEquals(2, body.get("data").size());
            assertEquals("all-minilm-l6-v2", body.get("data").get(0).get("id").asText());
            assertEquals("text-embedding-local", body.get("data").get(1).get("id").asText());
            assertEquals("model", body.get("data").get(0).get("object").asText());
            assertTrue(body.get("data").get(0).get("created").asLong() > 1_600_000_000L);
            assertEquals("local", body.get("data").get(0).get("owned_by").asText());
        }
    }

    @Test
    void oneModelByNameOr404() throws Exception {
        for (String path : new String[]{"/v1/models/text-embedding-local", "/models/text-embedding-local"}) {
            HttpResponse<String> r = gw.get(path);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = json(r);
            assertEquals("text-embedding-local", body.get("id").asText());
            assertEquals("model", body.get("object").asText());
            assertEquals("local", body.get("owned_by").asText());
            assertEquals(json(gw.get("/v1/models")).get("data").get(1), body, "the same entry as in the list");
        }
        HttpResponse<String> missing = gw.get("/v1/models/gpt-4%20turbo");
        assertEquals(404, missing.statusCode());
        JsonNode error = json(missing).get("error");
        assertEquals("model_not_found", error.get("code").asText());
        assertEquals("model", error.get("param").asText());
        assertTrue(error.get("message").asText().contains("'gpt-4 turbo'"), missing.body());
    }

    @Test
    void healthPathsAnswerWithoutKey() throws Exception {
        assertEquals(200, gw.get("/health/liveliness").statusCode());
        HttpResponse<String> ready = gw.get("/health/readiness");
        assertEquals(200, ready.statusCode());
        assertEquals("healthy", json(ready).get("status").asText());
    }
}
