package dev.embeddings.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.GatewayHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every invalid request gets its status and an OpenAI error body, through real HTTP. */
class ValidationHttpTest {

    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: mini
                    litellm_params:
                      model: local/all-minilm-l6-v2
                """, Map.of(), "--max-body-size", "65536");
    }

    @AfterAll
    static void stop() {
        gw.close();
    }

    /** Asserts the OpenAI error shape and that nothing internal leaks into it; returns error{}. */
    static JsonNode assertError(HttpResponse<String> r, int status, String type, String param, String code)
            throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode root = json(r);
        assertEquals(List.of("error"), iterable(root));
        JsonNode e = root.get("error");
        assertEquals(List.of("message", "type", "param", "code"), iterable(e));
        assertFalse(e.get("message").asText().isBlank());
        assertEquals(type, e.get("type").asText());
        assertEquals(param, e.get("param").isNull() ? null : e.get("param").asText());
        assertEquals(code, e.get("code").isNull() ? null : e.get("code").asText());
        for (String leak : List.of("Exception", "org.apache", "dev.embeddings", "java.", "\tat ")) {
            assertFalse(r.body().contains(leak), "error body leaks '" + leak + "': " + r.body());
        }
        return e;
    }

    private static List<String> iterable(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "missing model             | {\"input\":\"x\"}                                        | model",
            "model not a string        | {\"model\":5,\"input\":\"x\"}                              | model",
            "model null                | {\"model\":null,\"input\":\"x\"}                           | model",
            "missing input             | {\"model\":\"mini\"}                                       | input",
            "input null                | {\"model\":\"mini\",\"input\":null}                        | input",
            "empty string              | {\"model\":\"mini\",\"input\":\"\"}                        | input",
            "empty string in array     | {\"model\":\"mini\",\"input\":[\"a\",\"\"]}                | input",
            "empty array               | {\"model\":\"mini\",\"input\":[]}                          | input",
            "empty token array         | {\"model\":\"mini\",\"input\":[[1],[]]}                    | input",
            "array of string arrays    | {\"model\":\"mini\",\"input\":[[\"text\"]]}                | input",
            "mixed array               | {\"model\":\"mini\",\"input\":[\"a\",1]}                   | input",
            "number input              | {\"model\":\"mini\",\"input\":42}                          | input",
            "object input              | {\"model\":\"mini\",\"input\":{\"a\":1}}                   | input",
            "negative token id         | {\"model\":\"mini\",\"input\":[1,-2]}                      | input",
            "float token id            | {\"model\":\"mini\",\"input\":[1,2.5]}                     | input",
            "token id out of range     | {\"model\":\"mini\",\"input\":[[100277]]}                  | input",
            "token id without text     | {\"model\":\"mini\",\"input\":[[100256]]}                  | input",
            "special token endoftext   | {\"model\":\"mini\",\"input\":[[15339,100257]]}            | input",
            "special token endofprompt | {\"model\":\"mini\",\"input\":[100276]}                    | input",
            "space token only (local)  | {\"model\":\"mini\",\"input\":[[220]]}                     | input",
            "nbsp only (local)         | {\"model\":\"mini\",\"input\":[\"ok\",\"\\u00a0\"]}       | input",
            "combining mark (local)    | {\"model\":\"mini\",\"input\":\"\\u0301\"}                  | input",
            "whitespace only (local)   | {\"model\":\"mini\",\"input\":[\"ok\",\" \\n\\t \"]}           | input",
            "zero-width only (local)   | {\"model\":\"mini\",\"input\":\"\\u200b\"}                  | input",
            "control char only (local) | {\"model\":\"mini\",\"input\":\"\\u0000\"}                  | input",
            "unpaired surrogate        | {\"model\":\"mini\",\"input\":\"a\\ud800b\"}                | input",
            "lone low surrogate        | {\"model\":\"mini\",\"input\":[\"\\udc00\"]}               | input",
            "bad encoding_format       | {\"model\":\"mini\",\"input\":\"x\",\"encoding_format\":\"int8\"} | encoding_format",
            "encoding_format number    | {\"model\":\"mini\",\"input\":\"x\",\"encoding_format\":1}  | encoding_format",
            "dimensions zero           | {\"model\":\"mini\",\"input\":\"x\",\"dimensions\":0}       | dimensions",
            "dimensions negative       | {\"model\":\"mini\",\"input\":\"x\",\"dimensions\":-3}      | dimensions",
            "dimensions string         | {\"model\":\"mini\",\"input\":\"x\",\"dimensions\":\"8\"}   | dimensions",
            "dimensions fraction       | {\"model\":\"mini\",\"input\":\"x\",\"dimensions\":1.5}     | dimensions",
            "dimensions unsupported    | {\"model\":\"mini\",\"input\":\"x\",\"dimensions\":128}     | dimensions",
            "user not a string         | {\"model\":\"mini\",\"input\":\"x\",\"user\":7}             | user",
            "api_base retarget         | {\"model\":\"mini\",\"input\":\"x\",\"api_base\":\"http://127.0.0.1:1\"} | api_base",
            "base_url retarget         | {\"model\":\"mini\",\"input\":\"x\",\"base_url\":\"http://127.0.0.1:1\"} | base_url",
            "api_key                   | {\"model\":\"mini\",\"input\":\"x\",\"api_key\":\"sk-1\"}   | api_key",
            "aws key                   | {\"model\":\"mini\",\"input\":\"x\",\"aws_access_key_id\":\"AKIA\"} | aws_access_key_id",
            "aws region                | {\"model\":\"mini\",\"input\":\"x\",\"aws_region_name\":\"us-east-1\"} | aws_region_name",
            "deployment_url            | {\"model\":\"mini\",\"input\":\"x\",\"deployment_url\":\"http://x\"} | deployment_url",
    })
    void invalidRequestsGet400(String name, String body, String param) throws Exception {
        assertError(gw.post("/v1/embeddings", body), 400, "invalid_request_error", param, null);
    }

    @Test
    void messagesNameTheItemAtFault() throws Exception {
        HttpResponse<String> blank = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":[\"ok\",\"  \"]}");
        assertEquals(400, blank.statusCode());
        assertTrue(json(blank).get("error").get("message").asText().startsWith("input[1] has no word pieces"),
                blank.body());
        HttpResponse<String> special = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":[[1],[100257]]}");
        assertEquals(400, special.statusCode());
        assertEquals("input[1] has token id 100257, a cl100k_base special token, which has no text to embed.",
                json(special).get("error").get("message").asText());
        HttpResponse<String> twice = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"a\",\"input\":\"b\"}");
        assertEquals(400, twice.statusCode());
        assertEquals("The JSON body has the key 'input' more than once in one object; send each key once.",
                json(twice).get("error").get("message").asText());
    }

    @Test
    void tooManyInputsGet400() throws Exception {
        String items = String.join(",", java.util.Collections.nCopies(2049, "\"a\""));
        assertError(gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":[" + items + "]}"), 400,
                "invalid_request_error", "input", null);
    }

    @Test
    void notJsonGets400() throws Exception {
        for (String body : List.of("{bad", "[1,2]", "\"x\"", "{\"model\":\"mini\",\"input\":\"x\"} trailing", "",
                "{\"model\":\"nope\",\"input\":\"x\",\"model\":\"mini\"}")) {
            assertError(gw.post("/v1/embeddings", body), 400, "invalid_request_error", null, null);
        }
    }

    @Test
    void unknownModelGets404ModelNotFound() throws Exception {
        JsonNode e = assertError(gw.post("/v1/embeddings", "{\"model\":\"gpt-nope\",\"input\":\"x\"}"), 404,
                "invalid_request_error", "model", "model_not_found");
        assertTrue(e.get("message").asText().contains("gpt-nope"));
    }

    @Test
    void aHugeUnknownModelNameIsNotEchoedWhole() throws Exception {
        String name = "m".repeat(50_000);
        JsonNode e = assertError(gw.post("/v1/embeddings", "{\"model\":\"" + name + "\",\"input\":\"x\"}"), 404,
                "invalid_request_error", "model", "model_not_found");
        assertTrue(e.get("message").asText().length() < 400);
    }

    @Test
    void bodyOverTheLimitGets413() throws Exception {
        String big = "{\"model\":\"mini\",\"input\":\"" + "a".repeat(70_000) + "\"}";
        assertError(gw.post("/v1/embeddings", big), 413, "invalid_request_error", null, "request_too_large");
    }

    @Test
    void compressedBodyGets415() throws Exception {
        assertError(gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"x\"}", "Content-Encoding", "gzip"),
                415, "invalid_request_error", null, "unsupported_media_type");
    }

    @Test
    void formEncodedBodyGets415() throws Exception {
        assertError(gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"x\"}", "Content-Type",
                "application/x-www-form-urlencoded"), 415, "invalid_request_error", null, "unsupported_media_type");
    }

    @Test
    void undecodablePathIsAnOpenAiError() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", gw.port)) {
            s.getOutputStream().write(("POST /openai/deployments/%ZZ/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            s.setSoTimeout(10_000);
            String response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 400"), response);
            JsonNode error = GatewayHarness.JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4))
                    .get("error");
            assertEquals("invalid_request_error", error.get("type").asText());
            assertEquals("The request path is malformed.", error.get("message").asText());
        }
    }

    @Test
    void unknownPathAndWrongMethodAreOpenAiErrors() throws Exception {
        assertError(gw.get("/v1/nothing"), 404, "invalid_request_error", null, "not_found");
        HttpResponse<String> r = gw.get("/v1/embeddings");
        assertError(r, 405, "invalid_request_error", null, "method_not_allowed");
        assertEquals("POST", r.headers().firstValue("Allow").orElse(null));
        HttpResponse<String> models = gw.post("/v1/models", "{}");
        assertError(models, 405, "invalid_request_error", null, "method_not_allowed");
        assertEquals("GET", models.headers().firstValue("Allow").orElse(null));
        HttpResponse<String> azure = gw.get("/openai/deployments/mini/embeddings?api-version=2024-10-21");
        assertError(azure, 405, "invalid_request_error", null, "method_not_allowed");
        assertEquals("POST", azure.headers().firstValue("Allow").orElse(null));
    }

    @Test
    void nullOptionalsMeanOmittedAndGatewayFieldsAreAccepted() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"x\","
                + "\"encoding_format\":null,\"dimensions\":null,\"user\":null,\"metadata\":{\"a\":1},"
                + "\"caching\":true,\"drop_params\":true}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(json(r).get("data").get(0).get("embedding").isArray());
    }

    @Test
    void nativeDimensionsAreAccepted() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"x\",\"dimensions\":384}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(384, json(r).get("data").get(0).get("embedding").size());
    }

    @Test
    void multiScriptTextAndEmojiAreEmbedded() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"mini\",\"input\":[\"日本語のテキスト\",\"Ελληνικά\",\"emoji 😀🚀\",\"مرحبا\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(4, json(r).get("data").size());
    }
}
