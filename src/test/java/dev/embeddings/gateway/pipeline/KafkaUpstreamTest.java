package dev.embeddings.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.TopicReader;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.json;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.utf8;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * routes/pipeline-kafka.yaml with an Azure OpenAI deployment on WireMock whose vectors encode their input
 * ({@code "rec <n>"} → {@code [n, length]}): micro-batching (upstream calls well below the record count), results
 * back on their own records, and an upstream outage mid-stream that loses nothing.
 */
class KafkaUpstreamTest {

    static final Encoder ENCODER = new Encoder();
    static WireMockServer upstream;
    static KafkaBroker broker;
    static GatewayHarness gw;
    static KafkaProducer<byte[], byte[]> producer;
    static Topics topics;
    static TopicReader results;
    static TopicReader dlq;

    /** Answers an Azure embeddings call with {@code [n, length]} per input {@code "rec <n>"}; or 503 when down. */
    static final class Encoder implements ResponseDefinitionTransformerV2 {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final AtomicBoolean down = new AtomicBoolean();

        @Override
        public ResponseDefinition transform(ServeEvent event) {
            calls.incrementAndGet();
            if (down.get()) {
                failed.incrementAndGet();
                return aResponse().withStatus(503).withBody("{\"error\":{\"message\":\"down for a while\"}}").build();
            }
            JsonNode input = json(event.getRequest().getBody()).get("input");
            StringBuilder b = new StringBuilder("{\"object\":\"list\",\"data\":[");
            for (int i = 0; i < input.size(); i++) {
                String text = input.get(i).asText();
                b.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                        .append(",\"embedding\":[").append(text.substring(4)).append(',').append(text.length())
                        .append("]}");
            }
            b.append("],\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":").append(input.size() * 2)
                    .append(",\"total_tokens\":").append(input.size() * 2).append("}}");
            return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(b.toString())
                    .build();
        }

        @Override
        public boolean applyGlobally() {
            return true;
        }

        @Override
        public String getName() {
            return "encode-inputs";
        }
    }

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(32)
                .extensions(ENCODER));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/enc/embeddings")).willReturn(aResponse()));
        broker = KafkaBroker.shared();
        topics = Topics.create(broker, "wm");
        gw = KafkaTestSupport.gateway("""
                model_list:
                  - model_name: enc
                    litellm_params:
                      model: azure/enc
                      api_base: http://127.0.0.1:%d
                      api_key: os.environ/AZ_KEY
                      timeout: 5
                """.formatted(upstream.port()), Map.of("AZ_KEY", "k-0123456789"), broker, topics,
                "--gateway.kafka.model=enc");
        producer = KafkaTestSupport.producer(broker);
        results = new TopicReader(broker, topics.out());
        dlq = new TopicReader(broker, topics.dlq());
        producer.send(new ProducerRecord<>(topics.in(), utf8("warm"), utf8("rec 0"))).get();
        assertEquals(1, results.await(1, Duration.ofSeconds(60)).size(), "no result for the warm-up record");
    }

    @AfterAll
    static void stop() throws Exception {
        results.close();
        dlq.close();
        producer.close();
        gw.close();
        upstream.stop();
    }

    private static void send(String run, int i) {
        ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topics.in(), utf8(run + "-k" + (i % 30)),
                utf8(i % 2 == 0 ? "rec " + i : "{\"id\":\"" + run + "-" + i + "\",\"input\":\"rec " + i + "\"}"));
        rec.headers().add("run", utf8(run));
        rec.headers().add("seq", utf8(Integer.toString(i)));
        producer.send(rec);
    }

    /** This run's records of a topic, by their seq header. */
    private static Map<Integer, List<ConsumerRecord<byte[], byte[]>>> bySeq(List<ConsumerRecord<byte[], byte[]>> all,
                                                                           String run) {
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> m = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : all) {
            if (r.headers().lastHeader("run") != null && run.equals(utf8(r.headers().lastHeader("run").value()))) {
                int seq = Integer.parseInt(utf8(r.headers().lastHeader("seq").value()));
                m.computeIfAbsent(seq, k -> new java.util.ArrayList<>()).add(r);
            }
        }
        return m;
    }

    private static void checkVector(ConsumerRecord<byte[], byte[]> r, int i) {
        float[][] v = vectors(r);
        assertEquals(1, v.length);
        assertArrayEquals(new float[]{i, ("rec " + i).length()}, v[0], 0f, "vector of record " + i);
    }

    @Test
    void recordsAreMicroBatchedIntoFewUpstreamCalls() throws Exception {
        int n = 500;
        int before = results.count();
        int callsBefore = ENCODER.calls.get();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            send("batch", i);
        }
        producer.flush();
        List<ConsumerRecord<byte[], byte[]>> all = results.await(before + n, Duration.ofSeconds(60));
        double seconds = (System.nanoTime() - t0) / 1e9;
        int calls = ENCODER.calls.get() - callsBefore;
        System.out.printf("Kafka route, WireMock upstream: %d records in %.2f s = %.0f records/s, %d upstream calls%n",
                n, seconds, n / seconds, calls);

        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> got = bySeq(all, "batch");
        assertEquals(n, got.size());
        for (int i = 0; i < n; i++) {
            assertEquals(1, got.get(i).size(), "copies of record " + i);
            ConsumerRecord<byte[], byte[]> r = got.get(i).get(0);
            checkVector(r, i);
            assertEquals("batch-k" + (i % 30), utf8(r.key()));
            assertEquals(i % 2 == 0 ? "batch-k" + (i % 30) : "batch-" + i, json(r.value()).get("id").asText());
            assertEquals("enc", json(r.value()).get("model").asText());
            assertEquals(2, json(r.value()).get("usage").get("prompt_tokens").asInt());
        }
        assertTrue(calls <= n / 10, "micro-batching: " + calls + " upstream calls for " + n + " records");
    }

    @Test
    void anUpstreamOutageMidStreamLosesNothing() throws Exception {
        int n = 500;
        int callsBefore = ENCODER.calls.get();
        Thread feeder = new Thread(() -> {
            for (int i = 0; i < n; i++) {
                send("outage", i);
                if (i % 10 == 9) {
                    producer.flush();
                    sleep(40);
                }
            }
            producer.flush();
        }, "feeder");
        long t0 = System.nanoTime();
        feeder.start();
        // let some results through, then take the upstream down for 3 s
        while (bySeq(results.snapshot(), "outage").size() < 100 && System.nanoTime() - t0 < 30_000_000_000L) {
            Thread.sleep(20);
        }
        ENCODER.down.set(true);
        int atOutage = bySeq(results.snapshot(), "outage").size();
        Thread.sleep(3000);
        ENCODER.down.set(false);
        feeder.join();

        long deadline = System.nanoTime() + 60_000_000_000L;
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> got;
        do {
            Thread.sleep(100);
            got = bySeq(results.snapshot(), "outage");
        } while (got.size() < n && System.nanoTime() < deadline);
        Map<Integer, List<ConsumerRecord<byte[], byte[]>>> dead = bySeq(dlq.snapshot(), "outage");
        double seconds = (System.nanoTime() - t0) / 1e9;

        int duplicates = 0;
        Set<Integer> missing = new HashSet<>();
        for (int i = 0; i < n; i++) {
            List<ConsumerRecord<byte[], byte[]>> copies = got.get(i);
            if (copies == null) {
                missing.add(i);
                continue;
            }
            duplicates += copies.size() - 1;
            for (ConsumerRecord<byte[], byte[]> c : copies) {
                checkVector(c, i);
            }
        }
        System.out.printf("Outage: %d results before the outage, 3 s of 503s (%d failed upstream calls, %d calls in "
                        + "all), %d/%d records delivered in %.1f s, %d duplicates, %d in the DLQ, missing %s%n",
                atOutage, ENCODER.failed.get(), ENCODER.calls.get() - callsBefore, got.size(), n, seconds,
                duplicates, dead.size(), missing);
        assertTrue(ENCODER.failed.get() > 0, "the outage must have failed some upstream calls");
        assertTrue(atOutage < n, "the outage must come mid-stream");
        assertEquals(Set.of(), missing, "lost records");
        assertEquals(0, dead.size(), "retryable failures never go to the DLQ");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
