package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.GatewayHarness;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** A plain HTTP client of the gateway's Files and Batch APIs, for tests (multipart built by hand). */
final class BatchClient {

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    final String base;
    final String key;

    BatchClient(String base, String key) {
        this.base = base;
        this.key = key;
    }

    /** A JSONL batch file of {@code n} lines {@code req-<i>} for {@code model}, input {@code input(i)} (raw JSON). */
    static String jsonl(int n, String model, IntFunction<String> input) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append("{\"custom_id\":\"req-").append(i).append("\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",")
                    .append("\"body\":{\"model\":\"").append(model).append("\",\"input\":").append(input.apply(i))
                    .append("}}\n");
        }
        return b.toString();
    }

    private HttpRequest.Builder req(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    /** POST /v1/files as multipart (purpose, file), the raw response. */
    HttpResponse<String> uploadRaw(String purpose, String filename, byte[] content) throws Exception {
        String boundary = "----gw" + UUID.randomUUID().toString().replace("-", "");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        if (purpose != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
                    + purpose + "\r\n").getBytes(StandardCharsets.UTF_8));
        }
        if (content != null) {
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                    + filename + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            body.writeBytes(content);
            body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return HTTP.send(req("/v1/files").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Uploads {@code content} with purpose batch; returns the file id. */
    String upload(String content) throws Exception {
        HttpResponse<String> r = uploadRaw("batch", "input.jsonl", content.getBytes(StandardCharsets.UTF_8));
        assertEquals(200, r.statusCode(), r.body());
        return json(r).get("id").asText();
    }

    HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(req(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws Exception {
        return HTTP.send(req(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String json) throws Exception {
        return HTTP.send(req(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST /v1/batches for {@code fileId}; returns the batch object. */
    JsonNode create(String fileId) throws Exception {
        HttpResponse<String> r = post("/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\",\"metadata\":{\"job\":\"test\"}}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    JsonNode batch(String id) throws Exception {
        HttpResponse<String> r = get("/v1/batches/" + id);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    /** Polls the batch until its status is one of {@code statuses}; fails after {@code timeout}. */
    JsonNode await(String id, Set<String> statuses, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        JsonNode b = batch(id);
        while (!statuses.contains(b.get("status").asText())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("batch still " + b.get("status") + " after " + timeout + ": " + b);
            }
            TimeUnit.MILLISECONDS.sleep(100);
            b = batch(id);
        }
        return b;
    }

    String content(String fileId) throws Exception {
        HttpResponse<String> r = get("/v1/files/" + fileId + "/content");
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The lines of an output or error file, by custom_id; fails on a repeated custom_id. */
    Map<String, JsonNode> lines(String fileId) throws Exception {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String l : content(fileId).split("\n")) {
            if (l.isEmpty()) {
                continue;
            }
            JsonNode n = GatewayHarness.JSON.readTree(l);
            String cid = n.get("custom_id").isNull() ? null : n.get("custom_id").asText();
            assertNull(out.put(cid, n), "custom_id " + cid + " twice");
        }
        return out;
    }

    static List<String> lineList(String text) {
        List<String> out = new ArrayList<>();
        for (String l : text.split("\n")) {
            if (!l.isEmpty()) {
                out.add(l);
            }
        }
        return out;
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return GatewayHarness.JSON.readTree(r.body());
    }
}
