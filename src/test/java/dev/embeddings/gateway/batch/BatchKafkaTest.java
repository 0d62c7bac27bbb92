package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.embeddings.gateway.ChildGateway;
import dev.embeddings.gateway.db.PostgresServer;
import dev.embeddings.gateway.pipeline.KafkaBroker;
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
 * Kafka scale-out: two gateways (child JVMs) on the real broker, sharing one PostgreSQL database (their files, batch
 * state and results) but each with its own data directory (staging), share one batch's lines
 * through the lines topic; the one the batch was created on is killed with SIGKILL mid-way; the other takes its
 * partitions (and, if needed, the dispatch and the finishing) and the batch completes with exactly one output line
 * per input. Each gateway calls the upstream with its own api-key, so the journal shows who embedded what.
 */
class BatchKafkaTest {

    static final int LINES = 2000;

    static String config(int upstreamPort, String apiKey, String databaseUrl) {
        return "model_list:\n  - model_name: echo\n    litellm_params:\n      model: azure/echo\n"
                + "      api_base: http://127.0.0.1:" + upstreamPort + "\n      api_key: " + apiKey + "\n"
                + "      api_version: v1\ngeneral_settings:\n  master_key: os.environ/MK\n"
                + "  database_url: " + databaseUrl + "\n";
    }

    static long callsBy(WireMockServer upstream, String apiKey) {
        return upstream.getAllServeEvents().stream().map(ServeEvent::getRequest)
                .filter(r -> apiKey.equals(r.getHeader("api-key"))).count();
    }

    @Test
    void twoGatewaysShareABatchAndItCompletesWhenOneIsKilled() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        WireMockServer upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
                .containerThreads(32).extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/echo/embeddings"))
                .willReturn(aResponse().withTransformers(EchoVectors.NAME).withTransformerParameter("delayMs", 100)));
        PostgresServer pg = PostgresServer.startNew();
        Map<String, String> env = Map.of("MK", "sk-kafka-batch");
        List<String> common = List.of("--gateway.kafka.bootstrap=" + broker.bootstrap(),
                "--gateway.batch.kafka.enabled=true", "--gateway.batch.kafka.linesTopic=kb.lines",
                "--gateway.batch.kafka.resultsTopic=kb.results", "--gateway.batch.kafka.groupId=kb",
                "--gateway.batch.kafka.partitions=6", "--gateway.batch.kafka.sessionTimeoutMs=6000",
                "--gateway.batch.kafka.maxPollRecords=100", "--gateway.batch.linesPerCall=10",
                "--gateway.batch.workers=2", "--gateway.batch.leaseMs=5000",
                "--gateway.batch.superviseIntervalMs=1000");
        ChildGateway a = ChildGateway.start(config(upstream.port(), "key-a", pg.url()), env, List.of("-Xmx256m"),
                concat(common, "--gateway.instanceName=batch-a", "--data-dir",
                        Files.createTempDirectory("batch-kafka-a").toString()));
        ChildGateway b = null;
        try {
            b = ChildGateway.start(config(upstream.port(), "key-b", pg.url()), env, List.of("-Xmx256m"),
                    concat(common, "--gateway.instanceName=batch-b", "--data-dir",
                            Files.createTempDirectory("batch-kafka-b").toString()));
            BatchClient onA = new BatchClient(a.url(""), "sk-kafka-batch");
            BatchClient onB = new BatchClient(b.url(""), "sk-kafka-batch");
            long t0 = System.nanoTime();
            String id = onA.create(onA.upload(BatchClient.jsonl(LINES, "echo", i -> "\"" + i + "\""))).get("id").asText();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            JsonNode seen = onB.batch(id);
            while (seen.get("request_counts").get("completed").asInt() < 400
                    || callsBy(upstream, "key-a") == 0 || callsBy(upstream, "key-b") == 0) {
                assertTrue(System.nanoTime() < deadline, "both gateways should be working on it: " + seen
                        + ", calls by a " + callsBy(upstream, "key-a") + ", by b " + callsBy(upstream, "key-b"));
                Thread.sleep(50);
                seen = onB.batch(id);
            }
            long byABefore = callsBy(upstream, "key-a");
            long byBBefore = callsBy(upstream, "key-b");
            a.process.destroyForcibly();
            assertTrue(a.process.waitFor(10, TimeUnit.SECONDS));
            int atKill = seen.get("request_counts").get("completed").asInt();
            long tKill = System.nanoTime();
            assertTrue(atKill < LINES, "killed too late");

            JsonNode done = onB.await(id, Set.of("completed", "failed", "expired"), Duration.ofSeconds(120));
            long tDone = System.nanoTime();
            assertEquals("completed", done.get("status").asText(), done.toString());
            assertEquals(LINES, done.get("request_counts").get("completed").asInt());
            List<String> lines = BatchClient.lineList(onB.content(done.get("output_file_id").asText()));
            assertEquals(LINES, lines.size(), "exactly one output line per input");
            Map<String, JsonNode> byId = onB.lines(done.get("output_file_id").asText());
            assertEquals(LINES, byId.size());
            for (int i = 0; i < LINES; i++) {
                assertEquals(i, byId.get("req-" + i).get("response").get("body").get("data").get(0).get("embedding")
                        .get(0).asDouble(), 0.0, "req-" + i);
            }
            long inputs = 0;
            for (ServeEvent e : upstream.getAllServeEvents()) {
                inputs += dev.embeddings.gateway.GatewayHarness.JSON.readTree(e.getRequest().getBodyAsString())
                        .get("input").size();
            }
            System.out.printf("Kafka batch: %d lines; gateway a killed after %.1f s with %d done (calls: a %d, b %d); "
                            + "b made %d more calls and completed it %.1f s after the kill; %d lines sent upstream in "
                            + "all (%d redone)%n", LINES, (tKill - t0) / 1e9, atKill, byABefore, byBBefore,
                    callsBy(upstream, "key-b") - byBBefore, (tDone - tKill) / 1e9, inputs, inputs - LINES);
            assertTrue(inputs - LINES <= 2 * 100 + 2 * 6 * 100, "redone: at most the polls in flight at the kill");
        } finally {
            a.close();
            if (b != null) {
                b.close();
            }
            upstream.stop();
            pg.close();
        }
    }

    private static String[] concat(List<String> common, String... more) {
        List<String> all = new java.util.ArrayList<>(common);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
