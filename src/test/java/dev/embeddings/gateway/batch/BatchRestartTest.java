package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.embeddings.gateway.ChildGateway;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.routing.EchoVectors;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Durability: a gateway (a child JVM) killed with SIGKILL in the middle of a 5,000-line batch, then started again on
 * the same data directory, completes the batch with exactly 5,000 output lines, each custom_id once with its vector.
 */
class BatchRestartTest {

    static final int LINES = 5000;

    @Test
    void aGatewayKilledMidBatchResumesItOnRestartAndWritesEveryLineOnce() throws Exception {
        WireMockServer upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
                .containerThreads(32).extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/echo/embeddings"))
                .willReturn(aResponse().withTransformers(EchoVectors.NAME).withTransformerParameter("delayMs", 40)));
        String config = "model_list:\n  - model_name: echo\n    litellm_params:\n      model: azure/echo\n"
                + "      api_base: http://127.0.0.1:" + upstream.port() + "\n      api_key: k\n      api_version: v1\n"
                + "general_settings:\n  master_key: os.environ/MK\n";
        Path data = Files.createTempDirectory("batch-restart");
        String[] args = {"--data-dir", data.toString(), "--gateway.instanceName=restart-test",
                "--gateway.batch.linesPerCall=10", "--gateway.batch.workers=4",
                "--gateway.batch.superviseIntervalMs=1000"};
        Map<String, String> env = Map.of("MK", "sk-restart");
        ChildGateway first = ChildGateway.start(config, env, List.of("-Xmx384m"), args);
        String id;
        int atKill;
        try {
            BatchClient c = new BatchClient(first.url(""), "sk-restart");
            String fileId = c.upload(BatchClient.jsonl(LINES, "echo", i -> "\"" + i + "\""));
            id = c.create(fileId).get("id").asText();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            JsonNode b = c.batch(id);
            while (b.get("request_counts").get("completed").asInt() < 1000) {
                assertTrue(System.nanoTime() < deadline, "no progress: " + b);
                Thread.sleep(20);
                b = c.batch(id);
            }
            first.process.destroyForcibly();
            assertTrue(first.process.waitFor(10, TimeUnit.SECONDS));
            atKill = b.get("request_counts").get("completed").asInt();
            assertTrue(atKill < LINES, "killed too late: " + b);
        } finally {
            first.close();
        }
        int callsBefore = upstream.getAllServeEvents().size();

        ChildGateway second = ChildGateway.start(config, env, List.of("-Xmx384m"), args);
        try {
            BatchClient c = new BatchClient(second.url(""), "sk-restart");
            JsonNode done = c.await(id, Set.of("completed", "failed", "expired"), Duration.ofSeconds(120));
            assertEquals("completed", done.get("status").asText(), done.toString());
            assertEquals(LINES, done.get("request_counts").get("completed").asInt());
            assertEquals(0, done.get("request_counts").get("failed").asInt());
            String output = c.content(done.get("output_file_id").asText());
            List<String> lines = BatchClient.lineList(output);
            assertEquals(LINES, lines.size(), "exactly one output line per input line");
            Map<String, JsonNode> byId = c.lines(done.get("output_file_id").asText());
            assertEquals(LINES, byId.size(), "no custom_id twice");
            for (int i = 0; i < LINES; i++) {
                JsonNode v = byId.get("req-" + i).get("response").get("body").get("data").get(0).get("embedding");
                assertEquals(i, v.get(0).asDouble(), 0.0, "req-" + i);
            }
            int inputsSent = 0;
            for (ServeEvent e : upstream.getAllServeEvents()) {
                inputsSent += GatewayHarness.JSON.readTree(e.getRequest().getBodyAsString()).get("input").size();
            }
            System.out.printf("kill/restart: %d of %d lines done at the kill; %d upstream calls before it, %d after; "
                            + "%d lines sent upstream in all, so %d ran twice (in flight at the kill); output %d lines%n",
                    atKill, LINES, callsBefore, upstream.getAllServeEvents().size() - callsBefore, inputsSent,
                    inputsSent - LINES, lines.size());
            assertTrue(inputsSent - LINES <= 4 * 10 + 64 * 10, "only lines in flight at the kill may run twice");
        } finally {
            second.close();
            upstream.stop();
        }
    }
}
