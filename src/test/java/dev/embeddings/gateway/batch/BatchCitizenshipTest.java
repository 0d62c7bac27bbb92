package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.embeddings.gateway.GatewayHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Good citizenship: a 429 storm from the upstream (every call refused for 3 s, Retry-After: 1) slows the batch down
 * instead of hammering it, the batch still completes, and interactive requests sent all along keep their latency;
 * a deployment's rpm is shared with interactive traffic.
 */
class BatchCitizenshipTest {

    /** An OpenAI-format upstream answering in 10 ms, or 429 (Retry-After: 1) to everything while a storm lasts. */
    public static final class StormUpstream implements ResponseDefinitionTransformerV2 {
        static volatile long stormFrom = Long.MAX_VALUE;
        static volatile long stormUntil = 0;

        @Override
        public String getName() {
            return "storm";
        }

        @Override
        public boolean applyGlobally() {
            return false;
        }

        @Override
        public ResponseDefinition transform(ServeEvent event) {
            long now = System.currentTimeMillis();
            if (now >= stormFrom && now < stormUntil) {
                return new ResponseDefinitionBuilder().withStatus(429).withHeader("Retry-After", "1")
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}").build();
            }
            try {
                JsonNode input = GatewayHarness.JSON.readTree(event.getRequest().getBodyAsString()).get("input");
                StringBuilder data = new StringBuilder();
                for (int i = 0; i < input.size(); i++) {
                    data.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                            .append(",\"embedding\":[").append(input.get(i).asText().length()).append(",1.0]}");
                }
                return new ResponseDefinitionBuilder().withStatus(200).withFixedDelay(10)
                        .withHeader("Content-Type", "application/json")
                        .withBody("{\"object\":\"list\",\"data\":[" + data + "],\"usage\":{\"prompt_tokens\":"
                                + input.size() + ",\"total_tokens\":" + input.size() + "}}").build();
            } catch (Exception e) {
                return new ResponseDefinitionBuilder().withStatus(400).build();
            }
        }
    }

    static WireMockServer upstream;
    static GatewayHarness gw;
    static BatchClient client;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(64)
                .extensions(new StormUpstream()));
        upstream.start();
        for (String d : List.of("stormy", "limited")) {
            upstream.stubFor(post(urlPathEqualTo("/openai/deployments/" + d + "/embeddings"))
                    .willReturn(aResponse().withTransformers("storm")));
        }
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("model_list:\n"
                        + "  - model_name: stormy\n    litellm_params: {model: azure/stormy, api_base: " + base
                        + ", api_key: k, api_version: v1}\n"
                        + "  - model_name: limited\n    litellm_params: {model: azure/limited, api_base: " + base
                        + ", api_key: k, api_version: v1, rpm: 1200}\n",
                Map.of(), "--data-dir", Files.createTempDirectory("batch-citizen").toString(),
                "--gateway.batch.linesPerCall=5", "--gateway.batch.workers=8",
                "--gateway.batch.interactiveShare=0.5");
        client = new BatchClient(gw.url(""), null);
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    record Interactive(long sentAt, long ms, int status) {
    }

    @Test
    void a429StormSlowsTheBatchDownInteractiveRequestsKeepTheirLatencyAndTheBatchCompletes() throws Exception {
        int n = 1500;
        // the same interactive request alone first: warm-up, then the baseline
        List<Long> alone = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            long t0 = System.currentTimeMillis();
            assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"stormy\",\"input\":\"live\"}").statusCode());
            if (i >= 10) {
                alone.add(System.currentTimeMillis() - t0);
            }
        }
        alone.sort(null);
        long aloneP50 = alone.get(alone.size() / 2);
        String id = client.create(client.upload(BatchClient.jsonl(n, "stormy", i -> "\"batch line " + i + "\"")))
                .get("id").asText();
        List<Interactive> interactive = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread sender = new Thread(() -> {
            while (running.get()) {
                long t0 = System.currentTimeMillis();
                try {
                    HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"stormy\",\"input\":\"live\"}");
                    interactive.add(new Interactive(t0, System.currentTimeMillis() - t0, r.statusCode()));
                    Thread.sleep(100);
                } catch (Exception e) {
                    interactive.add(new Interactive(t0, System.currentTimeMillis() - t0, -1));
                }
            }
        });
        sender.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (client.batch(id).get("request_counts").get("completed").asInt() < 100) {
            assertTrue(System.nanoTime() < deadline, "no progress");
            Thread.sleep(20);
        }
        long from = System.currentTimeMillis();
        StormUpstream.stormUntil = from + 3000;
        StormUpstream.stormFrom = from;
        JsonNode done;
        try {
            done = client.await(id, Set.of("completed", "failed"), Duration.ofSeconds(120));
        } finally {
            running.set(false);
            sender.join(10_000);
        }
        assertEquals("completed", done.get("status").asText(), done.toString());
        assertEquals(n, done.get("request_counts").get("completed").asInt(), done.toString());

        long batchCallsInStorm = upstream.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getBodyAsString().contains("batch line"))
                .filter(e -> e.getRequest().getLoggedDate().getTime() >= from
                        && e.getRequest().getLoggedDate().getTime() < from + 3000).count();
        List<Long> outside = new ArrayList<>();
        int refusedInStorm = 0;
        for (Interactive i : interactive) {
            assertTrue(i.ms < 5000, "an interactive request took " + i.ms + " ms");
            boolean inStorm = i.sentAt + i.ms >= from - 200 && i.sentAt < from + 3200;
            if (!inStorm) {
                assertEquals(200, i.status, "interactive request outside the storm");
                outside.add(i.ms);
            } else if (i.status == 429) {
                refusedInStorm++;
            }
        }
        outside.sort(null);
        assertTrue(outside.size() >= 5, "interactive requests ran alongside the batch: " + outside.size());
        long p95 = outside.get((int) (outside.size() * 0.95));
        long p50 = outside.get(outside.size() / 2);
        System.out.printf("429 storm (3 s): the batch sent %d calls into it (8 workers ignoring Retry-After would send"
                        + " hundreds); %d interactive requests, %d refused in the storm, outside it p50 %d ms, p95 %d ms,"
                        + " max %d ms (alone, before the batch: p50 %d ms)%n", batchCallsInStorm, interactive.size(),
                refusedInStorm, p50, p95, outside.get(outside.size() - 1), aloneP50);
        assertTrue(batchCallsInStorm <= 30, "the batch backed off: " + batchCallsInStorm + " calls in the storm");
        assertTrue(p50 <= 4 * aloneP50 + 200, "interactive p50 beside the batch: " + p50 + " ms, alone " + aloneP50);
        assertTrue(p95 < 1500, "interactive p95 beside the batch: " + p95 + " ms");
    }

    @Test
    void batchCallsKeepToTheirShareOfTheDeploymentsRpm() throws Exception {
        // rpm 1200, half for interactive: batch calls at most 10 per second
        int n = 40;
        long t0 = System.currentTimeMillis();
        String id = client.create(client.upload(BatchClient.jsonl(n, "limited", i -> "\"line " + i + "\",\"user\":\"u"
                + i + "\""))).get("id").asText();
        JsonNode done = client.await(id, Set.of("completed", "failed"), Duration.ofSeconds(60));
        assertEquals("completed", done.get("status").asText(), done.toString());
        List<Long> times = upstream.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().contains("/limited/"))
                .filter(e -> e.getRequest().getLoggedDate().getTime() >= t0)
                .map(e -> e.getRequest().getLoggedDate().getTime()).sorted().toList();
        assertEquals(n, times.size());
        int maxInASecond = 0;
        for (int i = 0; i < times.size(); i++) {
            int k = i;
            while (k < times.size() && times.get(k) < times.get(i) + 1000) {
                k++;
            }
            maxInASecond = Math.max(maxInASecond, k - i);
        }
        double seconds = (times.get(times.size() - 1) - times.get(0)) / 1000.0;
        System.out.printf("rpm share: %d batch calls in %.1f s, at most %d in any second (share: 10/s)%n", n, seconds,
                maxInASecond);
        assertTrue(seconds >= 3.5, "40 calls at 10/s take about 4 s: " + seconds);
    }
}
