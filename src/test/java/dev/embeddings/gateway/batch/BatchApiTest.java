package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.db.DatabaseSettings;
import dev.embeddings.gateway.db.SharedDatabase;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.routing.EchoVectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Files and Batch APIs end to end over HTTP, in-process workers, against a WireMock upstream (Azure format)
 * whose vectors encode their inputs ("17" → [17, 1]): every custom_id exactly once with its own vector, invalid files
 * failed line by line with nothing sent upstream, a cancel in the middle, lines failing on their own, the Files API,
 * and an unauthenticated upload refused before a byte is stored.
 */
class BatchApiTest {

    static final String KEY = "sk-batch-test";
    static WireMockServer upstream;
    static GatewayHarness gw;
    static BatchClient client;
    static Path data;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(64)
                .extensions(new EchoVectors()));
        upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        StringBuilder cfg = new StringBuilder("model_list:\n");
        for (String name : List.of("echo", "slow", "picky", "priced")) {
            cfg.append("  - model_name: ").append(name).append("\n    litellm_params:\n      model: azure/")
                    .append(name).append("\n      api_base: ").append(base)
                    .append("\n      api_key: k\n      api_version: v1\n");
        }
        cfg.append("    model_info: {input_cost_per_token: 0.001}\n");
        cfg.append("general_settings:\n  master_key: os.environ/MK\n");
        data = Files.createTempDirectory("batch-data");
        gw = GatewayHarness.start(cfg.toString(), Map.of("MK", KEY), "--data-dir", data.toString(),
                "--gateway.batch.maxLines=300", "--gateway.batch.maxLineBytes=4096",
                "--gateway.batch.maxFileBytes=16000000",
                "--gateway.batch.superviseIntervalMs=500");
        client = new BatchClient(gw.url(""), KEY);
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
        for (String name : List.of("echo", "slow", "picky", "priced")) {
            upstream.stubFor(post(urlPathEqualTo(path(name))).atPriority(5)
                    .willReturn(aResponse().withTransformers(EchoVectors.NAME)));
        }
    }

    static String path(String deployment) {
        return "/openai/deployments/" + deployment + "/embeddings";
    }

    static int upstreamCalls(String deployment) {
        return upstream.findAll(postRequestedFor(urlPathEqualTo(path(deployment)))).size();
    }

    static float[] embedding(JsonNode outputLine, int index) {
        JsonNode e = outputLine.get("response").get("body").get("data").get(index).get("embedding");
        if (e.isTextual()) {
            return Base64Floats.decode(e.asText());
        }
        float[] v = new float[e.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) e.get(i).asDouble();
        }
        return v;
    }

    @Test
    void everyCustomIdComesBackOnceWithItsOwnVectors() throws Exception {
        int n = 200;
        // even lines: one input, float; odd lines: two inputs, base64 (the line's own encoding_format)
        String file = BatchClient.jsonl(n, "echo", i -> i % 2 == 0 ? "\"" + i + "\""
                : "[\"" + i + "\",\"" + (i + 1000) + "\"],\"encoding_format\":\"base64\"");
        String fileId = client.upload(file);
        JsonNode created = client.create(fileId);
        assertEquals("batch", created.get("object").asText());
        assertTrue(Set.of("validating", "in_progress").contains(created.get("status").asText()), created.toString());
        assertEquals("/v1/embeddings", created.get("endpoint").asText());
        assertEquals("24h", created.get("completion_window").asText());
        assertEquals("test", created.get("metadata").get("job").asText());
        assertEquals(created.get("created_at").asLong() + 86400, created.get("expires_at").asLong());

        JsonNode done = client.await(created.get("id").asText(), Set.of("completed", "failed"), Duration.ofSeconds(60));
        assertEquals("completed", done.get("status").asText(), done.toString());
        assertEquals(n, done.get("request_counts").get("total").asInt());
        assertEquals(n, done.get("request_counts").get("completed").asInt());
        assertEquals(0, done.get("request_counts").get("failed").asInt());
        assertTrue(done.get("error_file_id").isNull(), done.toString());
        for (String at : List.of("in_progress_at", "finalizing_at", "completed_at")) {
            assertFalse(done.get(at).isNull(), at);
        }

        String outputId = done.get("output_file_id").asText();
        JsonNode file1 = BatchClient.json(client.get("/v1/files/" + outputId));
        assertEquals("batch_output", file1.get("purpose").asText());
        Map<String, JsonNode> out = client.lines(outputId);
        assertEquals(n, out.size());
        for (int i = 0; i < n; i++) {
            JsonNode l = out.get("req-" + i);
            assertNotNull(l, "req-" + i);
            assertTrue(l.get("id").asText().startsWith("batch_req_"));
            assertTrue(l.get("error").isNull());
            assertEquals(200, l.get("response").get("status_code").asInt());
            JsonNode body = l.get("response").get("body");
            assertEquals("list", body.get("object").asText());
            assertEquals("echo", body.get("model").asText());
            assertArrayEquals(new float[]{i, 1f}, embedding(l, 0), "req-" + i);
            if (i % 2 == 1) {
                assertTrue(body.get("data").get(0).get("embedding").isTextual(), "base64 asked for");
                assertArrayEquals(new float[]{i + 1000, 1f}, embedding(l, 1));
            } else {
                assertEquals(1, body.get("data").size());
            }
        }
        // the output is in line order
        List<String> order = BatchClient.lineList(client.content(outputId));
        assertTrue(order.get(0).contains("\"req-0\"") && order.get(n - 1).contains("\"req-" + (n - 1) + "\""));
        // lines share upstream calls: 32 lines (and at most 2,048 inputs) per call
        assertEquals((n + 31) / 32, upstreamCalls("echo"));
    }

    @Test
    void anInvalidFileFailsLineByLineAndNothingGoesUpstream() throws Exception {
        String good = "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\",\"input\":\"1\"}}";
        String file = String.join("\n",
                good,
                "{\"custom_id\":\"b\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\"",
                "{\"custom_id\":\"c\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"echo\",\"input\":\"1\"}}",
                good,
                "",
                "{\"custom_id\":\"e\",\"method\":\"POST\",\"url\":\"/v1/embeddings\"}",
                "{\"custom_id\":\"f\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"gpt-4\",\"input\":\"1\"}}",
                "{\"custom_id\":\"g\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\",\"input\":\"\"}}",
                "{\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\",\"input\":\"1\"}}",
                "{\"custom_id\":\"i\",\"method\":\"GET\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\",\"input\":\"1\"}}",
                "{\"custom_id\":\"j\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{\"model\":\"echo\",\"input\":\"" + "x".repeat(5000) + "\"}}",
                "[1,2]") + "\n";
        JsonNode failed = runToEnd(file);
        assertEquals("failed", failed.get("status").asText(), failed.toString());
        assertFalse(failed.get("failed_at").isNull());
        assertTrue(failed.get("output_file_id").isNull());
        JsonNode errors = failed.get("errors");
        assertEquals("list", errors.get("object").asText());
        Map<Integer, String> expected = Map.of(2, "invalid_json_line", 3, "invalid_url", 4, "duplicate_custom_id",
                6, "missing_required_parameter", 7, "model_not_found", 8, "invalid_request", 9,
                "missing_required_parameter", 10, "invalid_method", 11, "line_too_long", 12, "invalid_request");
        assertEquals(expected.size(), errors.get("data").size(), errors.toString());
        for (JsonNode e : errors.get("data")) {
            int line = e.get("line").asInt();
            assertEquals(expected.get(line), e.get("code").asText(), "line " + line + ": " + e);
            assertFalse(e.get("message").asText().isEmpty());
        }
        assertEquals("body.model", paramOf(errors, 7));
        assertEquals("body.input", paramOf(errors, 8));
        assertEquals("custom_id", paramOf(errors, 9));
        assertEquals(11, failed.get("request_counts").get("total").asInt(), "blank line 5 is not a request");
        assertEquals(0, upstream.getAllServeEvents().size(), "nothing may be sent upstream");
    }

    @Test
    void tooManyLinesAndAnEmptyFileFailToo() throws Exception {
        JsonNode tooMany = runToEnd(BatchClient.jsonl(301, "echo", i -> "\"" + i + "\""));
        assertEquals("failed", tooMany.get("status").asText());
        JsonNode e = tooMany.get("errors").get("data");
        assertEquals(1, e.size(), e.toString());
        assertEquals("too_many_lines", e.get(0).get("code").asText());
        assertEquals(301, e.get(0).get("line").asInt());

        JsonNode empty = runToEnd("\n\n");
        assertEquals("failed", empty.get("status").asText());
        assertEquals("empty_file", empty.get("errors").get("data").get(0).get("code").asText());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    private static String paramOf(JsonNode errors, int line) {
        for (JsonNode e : errors.get("data")) {
            if (e.get("line").asInt() == line) {
                return e.get("param").asText();
            }
        }
        return null;
    }

    private static JsonNode runToEnd(String file) throws Exception {
        String fileId = client.upload(file);
        JsonNode b = client.create(fileId);
        return client.await(b.get("id").asText(), Set.of("completed", "failed", "cancelled", "expired"),
                Duration.ofSeconds(60));
    }

    @Test
    void aLineThatFailsOnItsOwnGoesToTheErrorFileAndTheOthersSucceed() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("picky"))).atPriority(1).withRequestBody(containing("\"bad\""))
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"input rejected\",\"type\":\"invalid_request_error\"}}")));
        JsonNode done = runToEnd(BatchClient.jsonl(5, "picky", i -> i == 2 ? "\"bad\"" : "\"" + i + "\""));
        assertEquals("completed", done.get("status").asText(), done.toString());
        assertEquals(4, done.get("request_counts").get("completed").asInt());
        assertEquals(1, done.get("request_counts").get("failed").asInt());
        Map<String, JsonNode> errors = client.lines(done.get("error_file_id").asText());
        assertEquals(Set.of("req-2"), errors.keySet());
        JsonNode bad = errors.get("req-2");
        assertEquals(400, bad.get("response").get("status_code").asInt());
        assertTrue(bad.get("response").get("body").get("error").get("message").asText().contains("input rejected"));
        Map<String, JsonNode> out = client.lines(done.get("output_file_id").asText());
        assertEquals(Set.of("req-0", "req-1", "req-3", "req-4"), out.keySet());
        assertArrayEquals(new float[]{3, 1}, embedding(out.get("req-3"), 0));
        // one call for the five, then each alone to find the one at fault
        assertEquals(1 + 5, upstreamCalls("picky"));
    }

    @Test
    void cancelInTheMiddleKeepsTheLinesDoneSoFar() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("slow"))).atPriority(1)
                .willReturn(aResponse().withTransformers(EchoVectors.NAME).withTransformerParameter("delayMs", 300)));
        int n = 80;
        // a different user per line: no two lines share a call
        String fileId = client.upload(BatchClient.jsonl(n, "slow", i -> "\"" + i + "\",\"user\":\"u" + i + "\""));
        String id = client.create(fileId).get("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (client.batch(id).get("request_counts").get("completed").asInt() < 10) {
            assertTrue(System.nanoTime() < deadline, "no progress");
            Thread.sleep(50);
        }
        HttpResponse<String> c = client.post("/v1/batches/" + id + "/cancel", "");
        assertEquals(200, c.statusCode(), c.body());
        assertTrue(Set.of("cancelling", "cancelled").contains(BatchClient.json(c).get("status").asText()));
        JsonNode done = client.await(id, Set.of("cancelled"), Duration.ofSeconds(30));
        assertFalse(done.get("cancelling_at").isNull());
        assertFalse(done.get("cancelled_at").isNull());
        int completed = done.get("request_counts").get("completed").asInt();
        assertTrue(completed >= 10 && completed < n, "completed " + completed);
        Map<String, JsonNode> out = client.lines(done.get("output_file_id").asText());
        assertEquals(completed, out.size());
        out.forEach((cid, l) -> assertArrayEquals(new float[]{Integer.parseInt(cid.substring(4)), 1f},
                embedding(l, 0), cid));
        Map<String, JsonNode> rest = client.lines(done.get("error_file_id").asText());
        assertEquals(n - completed, rest.size());
        for (JsonNode l : rest.values()) {
            assertEquals("batch_cancelled", l.get("error").get("code").asText());
            assertTrue(l.get("response").isNull());
        }
        Set<String> all = new HashSet<>(out.keySet());
        all.addAll(rest.keySet());
        assertEquals(n, all.size(), "every custom_id once, in one file or the other");
        // nothing was called upstream for a line that is not in the output (this batch's lines: user u<i>; calls
        // of an earlier test's batch may still land)
        Thread.sleep(500);
        assertEquals(completed, upstream.findAll(postRequestedFor(urlPathEqualTo(path("slow")))).stream()
                .filter(r -> r.getBodyAsString().contains("\"user\":\"u")).count());
        // cancelling again answers the batch; a completed batch cannot be cancelled
        assertEquals("cancelled", BatchClient.json(client.post("/v1/batches/" + id + "/cancel", "")).get("status").asText());
        JsonNode finished = runToEnd(BatchClient.jsonl(1, "echo", i -> "\"1\""));
        HttpResponse<String> late = client.post("/v1/batches/" + finished.get("id").asText() + "/cancel", "");
        assertEquals(409, late.statusCode(), late.body());
    }

    /**
     * A query parameter is never copied into the answer's headers: one whose name is not a valid header name (a
     * space) made the answer fail with a 500 (found by a break-it run), and the client's Authorization came back.
     */
    @Test
    void queryParametersAndRequestHeadersDoNotComeBack() throws Exception {
        for (String path : List.of("/v1/files?a%20b=1&purpose=batch", "/v1/batches?a%20b=1&limit=2",
                "/v1/files?order=asc;DROP%20TABLE%20x")) {
            HttpResponse<String> r = client.get(path);
            assertEquals(200, r.statusCode(), path + ": " + r.body());
            assertTrue(r.body().startsWith("{"), r.body());
            assertTrue(r.headers().firstValue("authorization").isEmpty(), "the key came back: " + r.headers().map());
            assertTrue(r.headers().firstValue("a b").isEmpty());
            assertTrue(r.headers().firstValue("x-request-id").isPresent(), "its own headers stay");
        }
    }

    @Test
    void aBatchPastItsCompletionWindowExpiresKeepingTheLinesDone() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("slow"))).atPriority(1)
                .willReturn(aResponse().withTransformers(EchoVectors.NAME).withTransformerParameter("delayMs", 300)));
        int n = 160;
        String id = client.create(client.upload(BatchClient.jsonl(n, "slow", i -> "\"" + i + "\",\"user\":\"e" + i
                + "\""))).get("id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (client.batch(id).get("request_counts").get("completed").asInt() < 5) {
            assertTrue(System.nanoTime() < deadline, "no progress");
            Thread.sleep(50);
        }
        // the 24 h pass: another store on the same database (as another replica would) moves expires_at back
        try (SharedDatabase db = new SharedDatabase(DatabaseSettings.embedded(data), data, 2, 3000, null)) {
            new JdbcBatchStore(db, data.resolve("tmp")).updateBatch(id, b -> {
                b.expiresAt = b.createdAt - 1;
                return b;
            });
        }
        JsonNode done = client.await(id, Set.of("expired", "completed"), Duration.ofSeconds(30));
        assertEquals("expired", done.get("status").asText(), done.toString());
        assertFalse(done.get("expired_at").isNull());
        int completed = done.get("request_counts").get("completed").asInt();
        Map<String, JsonNode> out = client.lines(done.get("output_file_id").asText());
        assertEquals(completed, out.size());
        Map<String, JsonNode> rest = client.lines(done.get("error_file_id").asText());
        Set<String> all = new HashSet<>(out.keySet());
        all.addAll(rest.keySet());
        assertEquals(n, all.size(), "every custom_id once, in one file or the other");
        assertEquals(n, out.size() + rest.size());
        assertTrue(rest.values().stream().allMatch(l -> "batch_expired".equals(l.get("error").get("code").asText())));
    }

    @Test
    void filesApiListsRetrievesDownloadsAndDeletes() throws Exception {
        String content = BatchClient.jsonl(2, "echo", i -> "\"" + i + "\"");
        String a = client.upload(content);
        String b = client.upload(content);
        JsonNode meta = BatchClient.json(client.get("/v1/files/" + a));
        assertEquals("file", meta.get("object").asText());
        assertEquals("batch", meta.get("purpose").asText());
        assertEquals("input.jsonl", meta.get("filename").asText());
        assertEquals(content.getBytes(StandardCharsets.UTF_8).length, meta.get("bytes").asLong());
        assertEquals(content, client.content(a));

        JsonNode list = BatchClient.json(client.get("/v1/files?purpose=batch&limit=1"));
        assertEquals("list", list.get("object").asText());
        assertEquals(1, list.get("data").size());
        assertEquals(b, list.get("data").get(0).get("id").asText(), "newest first");
        assertTrue(list.get("has_more").asBoolean());
        JsonNode next = BatchClient.json(client.get("/v1/files?purpose=batch&limit=1&after=" + b));
        assertEquals(a, next.get("data").get(0).get("id").asText());
        JsonNode asc = BatchClient.json(client.get("/v1/files?order=asc&purpose=batch"));
        List<String> ids = asc.get("data").findValuesAsText("id");
        assertTrue(ids.indexOf(a) < ids.indexOf(b), ids.toString());

        HttpResponse<String> del = client.delete("/v1/files/" + a);
        assertEquals(200, del.statusCode());
        assertTrue(BatchClient.json(del).get("deleted").asBoolean());
        HttpResponse<String> gone = client.get("/v1/files/" + a);
        assertEquals(404, gone.statusCode());
        assertEquals("file_not_found", BatchClient.json(gone).get("error").get("code").asText());
        assertEquals(404, client.get("/v1/files/" + a + "/content").statusCode());
        assertEquals(404, client.delete("/v1/files/" + a).statusCode());
        assertEquals(404, client.get("/v1/batches/batch_nope").statusCode());
        // the same API without /v1
        assertEquals(200, client.get("/files/" + b).statusCode());

        HttpResponse<String> wrongPurpose = client.uploadRaw("fine-tune", "x.jsonl", content.getBytes(StandardCharsets.UTF_8));
        assertEquals(400, wrongPurpose.statusCode());
        assertEquals("purpose", BatchClient.json(wrongPurpose).get("error").get("param").asText());
        HttpResponse<String> noFile = client.uploadRaw("batch", null, null);
        assertEquals(400, noFile.statusCode());
        assertEquals("file", BatchClient.json(noFile).get("error").get("param").asText());
        HttpResponse<String> json = client.post("/v1/files", "{}");
        assertEquals(415, json.statusCode());
        HttpResponse<String> badCreate = client.post("/v1/batches", "{\"input_file_id\":\"" + b
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}");
        assertEquals(400, badCreate.statusCode());
        assertEquals("endpoint", BatchClient.json(badCreate).get("error").get("param").asText());
        HttpResponse<String> noInput = client.post("/v1/batches", "{\"input_file_id\":\"file-missing\","
                + "\"endpoint\":\"/v1/embeddings\",\"completion_window\":\"24h\"}");
        assertEquals(404, noInput.statusCode());
        // nothing staged is left behind
        try (Stream<Path> tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(0, tmp.count());
        }
    }

    @Test
    void uploadsHaveTheirOwnSizeLimitAboveTheJsonBodyLimit() throws Exception {
        // 12 MB: over the 8 MiB limit of JSON bodies, under this gateway's 16 MB file limit
        byte[] big = new byte[12_000_000];
        java.util.Arrays.fill(big, (byte) 'a');
        for (int i = 999; i < big.length; i += 1000) {
            big[i] = '\n';
        }
        HttpResponse<String> ok = client.uploadRaw("batch", "big.txt", big);
        assertEquals(200, ok.statusCode(), ok.body());
        String id = BatchClient.json(ok).get("id").asText();
        assertEquals(big.length, BatchClient.json(ok).get("bytes").asLong());
        HttpResponse<byte[]> back = BatchClient.HTTP.send(HttpRequest.newBuilder(URI.create(gw.url("/v1/files/" + id
                + "/content"))).header("Authorization", "Bearer " + KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertArrayEquals(big, back.body());
        // 20 MB: refused from its Content-Length, before it is read
        HttpResponse<String> tooBig = client.uploadRaw("batch", "bigger.txt", new byte[20_000_000]);
        assertEquals(413, tooBig.statusCode());
        assertEquals("request_too_large", BatchClient.json(tooBig).get("error").get("code").asText());
    }

    @Test
    void aVirtualKeysBatchLinesRunUnderThatKeysModelsAndBudgetAndAreChargedToIt() throws Exception {
        // a batch used to run its lines as an unrestricted key: every model, no budget (found by a break-it helper)
        String limited = generateKey("{\"models\":[\"echo\"]}");
        BatchClient vk = new BatchClient(gw.url(""), limited);
        String file = BatchClient.jsonl(3, "echo", i -> "\"" + i + "\"")
                + BatchClient.jsonl(2, "picky", i -> "\"" + (i + 10) + "\"").replace("req-", "picky-");
        JsonNode done = vk.await(vk.create(vk.upload(file)).get("id").asText(), Set.of("completed", "failed"),
                Duration.ofSeconds(60));
        assertEquals("completed", done.get("status").asText(), done.toString());
        Map<String, JsonNode> out = vk.lines(done.get("output_file_id").asText());
        assertEquals(Set.of("req-0", "req-1", "req-2"), out.keySet());
        assertEquals(2.0f, embedding(out.get("req-2"), 0)[0]);
        Map<String, JsonNode> errors = vk.lines(done.get("error_file_id").asText());
        assertEquals(Set.of("picky-0", "picky-1"), errors.keySet());
        for (JsonNode e : errors.values()) {
            assertEquals(401, e.get("response").get("status_code").asInt());
            assertEquals("key_model_access_denied", e.get("response").get("body").get("error").get("code").asText());
        }
        assertEquals(0, upstreamCalls("picky"));

        // 0.001 per token: any line costs more than this key's budget
        String poor = generateKey("{\"max_budget\":0.0001}");
        BatchClient pk = new BatchClient(gw.url(""), poor);
        done = pk.await(pk.create(pk.upload(BatchClient.jsonl(2, "priced", i -> "\"some words to embed\"")))
                .get("id").asText(), Set.of("completed", "failed"), Duration.ofSeconds(60));
        errors = pk.lines(done.get("error_file_id").asText());
        assertEquals(Set.of("req-0", "req-1"), errors.keySet());
        for (JsonNode e : errors.values()) {
            assertEquals("budget_exceeded", e.get("response").get("body").get("error").get("code").asText());
        }
        assertEquals(0, upstreamCalls("priced"));

        // a key with budget enough: its batch's usage is charged to it, as its own requests would be
        JsonNode rich = generated("{\"max_budget\":10}");
        BatchClient rk = new BatchClient(gw.url(""), rich.get("key").asText());
        done = rk.await(rk.create(rk.upload(BatchClient.jsonl(3, "priced", i -> "\"words " + i + "\"")))
                .get("id").asText(), Set.of("completed", "failed"), Duration.ofSeconds(60));
        assertEquals(3, done.get("request_counts").get("completed").asInt(), done.toString());
        int tokens = 0;
        for (JsonNode line : rk.lines(done.get("output_file_id").asText()).values()) {
            tokens += line.get("response").get("body").get("usage").get("prompt_tokens").asInt();
        }
        assertTrue(tokens > 0);
        java.math.BigDecimal expected = new java.math.BigDecimal("0.001").multiply(java.math.BigDecimal.valueOf(tokens));
        String info = "/key/info?key=" + rich.get("token_id").asText();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        java.math.BigDecimal spend;
        do {
            Thread.sleep(100);
            spend = BatchClient.json(client.get(info)).get("info").get("spend").decimalValue();
        } while (spend.compareTo(expected) != 0 && System.nanoTime() < deadline);
        assertEquals(0, expected.compareTo(spend), "spend " + spend + ", expected " + expected);
    }

    @Test
    void aKeysRateAndParallelLimitsDoNotHoldUpItsBatch() throws Exception {
        // LiteLLM counts a batch as one request: rpm/tpm/max_parallel_requests govern the key's own requests. A
        // break-it helper found that a batch waiting on them held the batch workers for every key (a 10-line batch
        // of another key took 71 s), and one that could never fit (tpm) waited forever
        String limited = generateKey("{\"rpm_limit\":1,\"tpm_limit\":50,\"max_parallel_requests\":1}");
        BatchClient lk = new BatchClient(gw.url(""), limited);
        JsonNode done = lk.await(lk.create(lk.upload(BatchClient.jsonl(100, "echo",
                i -> "\"" + i + " words to count as tokens\""))).get("id").asText(), Set.of("completed", "failed"),
                Duration.ofSeconds(30));
        assertEquals(100, done.get("request_counts").get("completed").asInt(), done.toString());
        assertTrue(upstreamCalls("echo") >= 4, "100 lines in several calls: " + upstreamCalls("echo"));
        // the batch did not use the key's minute: its own requests still get exactly one
        String body = "{\"model\":\"echo\",\"input\":\"7\"}";
        HttpResponse<String> first = BatchClient.HTTP.send(HttpRequest.newBuilder(URI.create(gw.url("/v1/embeddings")))
                .header("Authorization", "Bearer " + limited).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, first.statusCode(), "the batch counted against the key's rpm_limit: " + first.body());
        // the next one is refused (or the one after, should a new minute have begun in between)
        int refusedAt = 0;
        for (int i = 2; i <= 3 && refusedAt == 0; i++) {
            HttpResponse<String> r = BatchClient.HTTP.send(HttpRequest.newBuilder(URI.create(gw.url("/v1/embeddings")))
                    .header("Authorization", "Bearer " + limited).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            refusedAt = r.statusCode() == 429 ? i : 0;
        }
        assertTrue(refusedAt > 0, "rpm_limit 1 no longer applies to the key's own requests");
    }

    private static String generateKey(String body) throws Exception {
        return generated(body).get("key").asText();
    }

    private static JsonNode generated(String body) throws Exception {
        HttpResponse<String> r = client.post("/key/generate", body);
        assertEquals(200, r.statusCode(), r.body());
        return BatchClient.json(r);
    }

    @Test
    void aMultipartBodyCutBeforeItsClosingBoundaryIs400AtOnce() throws Exception {
        // it used to wait for the upload timeout (600 s by default) and answer 408
        String boundary = "cut0boundary";
        byte[] body = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cut.jsonl\"\r\n"
                + "Content-Type: application/jsonl\r\n\r\n"
                + "{\"custom_id\":\"a\",\"method\":\"POST\",\"url\":\"/v1/embeddings\",\"body\":{}}\n")
                .getBytes(StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        HttpResponse<String> r = BatchClient.HTTP.send(HttpRequest.newBuilder(URI.create(gw.url("/v1/files")))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .header("Authorization", "Bearer " + KEY)
                .timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(400, r.statusCode(), r.body());
        JsonNode error = BatchClient.json(r).get("error");
        assertEquals("file", error.get("param").asText());
        assertTrue(error.get("message").asText().contains("closing boundary"), r.body());
        assertTrue(ms < 30_000, "answered after " + ms + " ms");
        try (Stream<Path> tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(0, tmp.count(), "nothing staged is left behind");
        }
    }

    @Test
    void anUploadWithoutAValidKeyIsRefusedBeforeAnyByteIsStored() throws Exception {
        byte[] big = new byte[4 * 1024 * 1024];
        java.util.Arrays.fill(big, (byte) 'x');
        HttpResponse<String> r = BatchClient.HTTP.send(HttpRequest.newBuilder(URI.create(gw.url("/v1/files")))
                .header("Content-Type", "multipart/form-data; boundary=zzz")
                .header("Authorization", "Bearer wrong")
                .POST(HttpRequest.BodyPublishers.ofByteArray(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, r.statusCode());
        try (Stream<Path> tmp = Files.list(data.resolve("tmp"))) {
            assertEquals(0, tmp.count(), "nothing staged");
        }
        BatchClient anonymous = new BatchClient(gw.url(""), null);
        assertEquals(401, anonymous.get("/v1/files").statusCode());
        assertEquals(401, anonymous.get("/v1/batches").statusCode());
    }
}
