package dev.embeddings.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.TopicReader;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;

import static dev.embeddings.gateway.GatewayHarness.cosine;
import static dev.embeddings.gateway.GatewayHarness.norm;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.json;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.utf8;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * routes/pipeline-kafka.yaml against a real KRaft broker with the in-process model: 500 keyed records over 3
 * partitions in, 500 results out (keys, headers, per-partition order, correct vectors), and poison records.
 */
class KafkaPipelineTest {

    static final String FOOD = "A man is eating food.";
    static final String BREAD = "A man is eating a piece of bread.";
    static final String HORSE = "A man is riding a horse.";
    static final String[] WORDS = {"cats", "rivers", "bread", "engines", "music", "snow", "markets", "chess",
            "gardens", "planets", "coffee", "bridges"};

    static KafkaBroker broker;
    static Topics topics;
    static GatewayHarness gw;
    static KafkaProducer<byte[], byte[]> producer;
    static TopicReader results;
    static TopicReader dlq;

    @BeforeAll
    static void start() throws Exception {
        broker = KafkaBroker.shared();
        topics = Topics.create(broker, "local");
        gw = KafkaTestSupport.gateway(Files.readString(Path.of("config", "config.yaml")), Map.of(), broker, topics);
        producer = KafkaTestSupport.producer(broker);
        results = new TopicReader(broker, topics.out());
        dlq = new TopicReader(broker, topics.dlq());
        // warm-up: the consumer has joined its group and the model is loaded once this comes back
        producer.send(new ProducerRecord<>(topics.in(), utf8("warm"), utf8("warm-up"))).get();
        assertEquals(1, results.await(1, Duration.ofSeconds(60)).size(), "no result for the warm-up record");
    }

    @AfterAll
    static void stop() throws Exception {
        results.close();
        dlq.close();
        producer.close();
        gw.close();
    }

    static String text(int i) {
        return switch (i) {
            case 0 -> FOOD;
            case 1 -> BREAD;
            case 2 -> HORSE;
            default -> "Note " + i + " is about " + WORDS[i % WORDS.length] + " and " + WORDS[(i * 7) % WORDS.length] + ".";
        };
    }

    @Test
    void fiveHundredRecordsGiveFiveHundredResultsInOrderWithCorrectVectors() throws Exception {
        int n = 500;
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        List<String> expectedTexts = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            String key = "k" + (i % 50);
            String value = i % 2 == 0 ? text(i)
                    : i % 10 == 3 ? "{\"id\":\"r-" + i + "\",\"input\":[\"" + text(i) + "\",\"" + text(i) + " Again.\"]}"
                    : "{\"id\":\"r-" + i + "\",\"input\":\"" + text(i) + "\"}";
            ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topics.in(), utf8(key), utf8(value));
            rec.headers().add("trace", utf8("t-" + i));
            sent.add(producer.send(rec));
        }
        producer.flush();
        List<ConsumerRecord<byte[], byte[]>> all = results.await(n + 1, Duration.ofSeconds(90));
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("Kafka route, local model: %d records in %.2f s = %.0f records/s%n", n, seconds, n / seconds);

        Map<String, ConsumerRecord<byte[], byte[]>> byTrace = new HashMap<>();
        Map<Integer, List<Integer>> tracesPerPartition = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : all) {
            Header trace = r.headers().lastHeader("trace");
            if (trace == null) {
                continue; // the warm-up record
            }
            String t = utf8(trace.value());
            assertNull(byTrace.put(t, r), "duplicate result for " + t);
            tracesPerPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>())
                    .add(Integer.parseInt(t.substring(2)));
        }
        assertEquals(n, byTrace.size(), "results");
        assertTrue(dlq.snapshot().isEmpty(), "nothing may go to the DLQ");

        // same key, same partition as the input, and input order within each partition
        for (int i = 0; i < n; i++) {
            ConsumerRecord<byte[], byte[]> r = byTrace.get("t-" + i);
            assertEquals("k" + (i % 50), utf8(r.key()));
            assertEquals(sent.get(i).get().partition(), r.partition(), "partition of t-" + i);
            JsonNode body = json(r.value());
            assertEquals(i % 2 == 0 ? "k" + (i % 50) : "r-" + i, body.get("id").asText());
            assertEquals("all-minilm-l6-v2", body.get("model").asText());
            assertTrue(body.get("usage").get("prompt_tokens").asInt() > 0);
        }
        tracesPerPartition.forEach((p, traces) -> {
            for (int k = 1; k < traces.size(); k++) {
                assertTrue(traces.get(k - 1) < traces.get(k), "partition " + p + " out of order: " + traces);
            }
        });

        // vectors equal the HTTP API's for the same texts
        for (int i = 0; i < n; i++) {
            expectedTexts.add(text(i));
        }
        StringBuilder req = new StringBuilder("{\"model\":\"all-minilm-l6-v2\",\"input\":[");
        for (int i = 0; i < n; i++) {
            req.append(i > 0 ? "," : "").append('"').append(expectedTexts.get(i)).append('"');
        }
        float[][] http = GatewayHarness.vectors(GatewayHarness.json(gw.post("/v1/embeddings", req + "]}")));
        for (int i = 0; i < n; i++) {
            float[][] v = vectors(byTrace.get("t-" + i));
            assertEquals(i % 10 == 3 ? 2 : 1, v.length, "inputs of t-" + i);
            assertEquals(384, v[0].length);
            assertEquals(1.0, norm(v[0]), 1e-3);
            assertEquals(1.0, cosine(v[0], http[i]), 1e-5, "vector of t-" + i);
        }
        float[] food = vectors(byTrace.get("t-0"))[0];
        float[] bread = vectors(byTrace.get("t-1"))[0];
        float[] horse = vectors(byTrace.get("t-2"))[0];
        assertEquals(0.755, cosine(food, bread), 0.01);
        assertTrue(cosine(food, bread) > cosine(food, horse));
    }

    @Test
    void poisonRecordsGoToTheDlqAndTheGoodOnesInTheSameBatchGetResults() throws Exception {
        // stop the route so that all of these arrive in one poll, i.e. one micro-batch
        gw.gateway.camelContext().getRouteController().stopRoute("kafka-embeddings");
        String[][] records = {
                {"good", "Poison test good one."},
                {"bad", "{\"input\": \"unterminated"},
                {"bad", "{\"model\":\"all-minilm-l6-v2\"}"},
                {"good", "{\"id\":\"p-json\",\"input\":\"Poison test good two.\"}"},
                {"bad", "{\"input\":\"\"}"},
                {"bad", "   "},
                {"bad", "{\"model\":\"no-such-model\",\"input\":\"x\"}"},
                {"good", "{\"id\":\"p-tokens\",\"input\":[[15339,1917]]}"},
                {"bad", "{\"id\":\"p-bad-tokens\",\"input\":[[99999999]]}"},
                {"good", "Poison test good three."},
        };
        int before = results.count();
        int deadBefore = dlq.count();
        for (int i = 0; i < records.length; i++) {
            ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topics.in(), utf8("poison-key"),
                    utf8(records[i][1]));
            rec.headers().add("trace", utf8("p-" + i));
            producer.send(rec);
        }
        producer.flush();
        gw.gateway.camelContext().getRouteController().startRoute("kafka-embeddings");

        List<ConsumerRecord<byte[], byte[]>> dead = dlq.await(deadBefore + 6, Duration.ofSeconds(60))
                .subList(deadBefore, deadBefore + 6);
        List<ConsumerRecord<byte[], byte[]>> good = results.await(before + 4, Duration.ofSeconds(60))
                .subList(before, before + 4);
        Thread.sleep(500);
        assertEquals(before + 4, results.count(), "exactly the good records get results");
        assertEquals(deadBefore + 6, dlq.count());

        List<String> goodTraces = good.stream().map(r -> utf8(r.headers().lastHeader("trace").value())).toList();
        assertEquals(List.of("p-0", "p-3", "p-7", "p-9"), goodTraces);
        assertEquals("p-json", json(good.get(1).value()).get("id").asText());
        assertEquals(384, vectors(good.get(2))[0].length);

        Map<String, Integer> expectedStatus = Map.of("p-1", 400, "p-2", 400, "p-4", 400, "p-5", 400, "p-6", 404,
                "p-8", 400);
        for (ConsumerRecord<byte[], byte[]> d : dead) {
            String trace = utf8(d.headers().lastHeader("trace").value());
            int i = Integer.parseInt(trace.substring(2));
            assertEquals(records[i][1], utf8(d.value()), "the DLQ keeps the original value");
            assertEquals("poison-key", utf8(d.key()));
            Header error = d.headers().lastHeader(KafkaPipeline.ERROR_HEADER);
            assertNotNull(error, trace);
            JsonNode e = json(error.value());
            assertEquals(expectedStatus.get(trace), e.get("status").asInt(), trace + " " + e);
            assertTrue(e.get("error").get("message").asText().length() > 5, e.toString());
            assertEquals(topics.in(), e.get("source").get("topic").asText());
            System.out.println("DLQ " + trace + ": " + e);
        }
        assertEquals("input", json(dead.get(1).headers().lastHeader(KafkaPipeline.ERROR_HEADER).value())
                .get("error").get("param").asText());
        assertEquals("model_not_found", json(dead.stream().filter(d -> utf8(d.headers().lastHeader("trace").value())
                .equals("p-6")).findFirst().orElseThrow().headers().lastHeader(KafkaPipeline.ERROR_HEADER).value())
                .get("error").get("code").asText());
        assertArrayEquals(new String[0], new String[0]);
    }

    @Test
    void repeatedAndNullValuedHeadersComeThroughInOrder() throws Exception {
        int before = results.count();
        int dlqBefore = dlq.count();
        for (String value : new String[]{"Headers kept, every one.", "{\"input\": \"unterminated"}) {
            ProducerRecord<byte[], byte[]> rec = new ProducerRecord<>(topics.in(), utf8("headers"), utf8(value));
            rec.headers().add("tag", utf8("first"));
            rec.headers().add("trace", utf8("h-" + value.length()));
            rec.headers().add("tag", utf8("second"));
            rec.headers().add("empty", null);
            rec.headers().add("tag", new byte[0]);
            producer.send(rec);
        }
        producer.flush();
        ConsumerRecord<byte[], byte[]> good = results.await(before + 1, Duration.ofSeconds(60)).get(before);
        ConsumerRecord<byte[], byte[]> bad = dlq.await(dlqBefore + 1, Duration.ofSeconds(60)).get(dlqBefore);
        for (ConsumerRecord<byte[], byte[]> r : List.of(good, bad)) {
            List<Header> hs = new ArrayList<>();
            r.headers().forEach(hs::add);
            List<String> keys = hs.stream().map(Header::key).toList();
            assertEquals(r == good ? List.of("tag", "trace", "tag", "empty", "tag")
                    : List.of("tag", "trace", "tag", "empty", "tag", KafkaPipeline.ERROR_HEADER), keys);
            assertEquals("first", utf8(hs.get(0).value()));
            assertEquals("second", utf8(hs.get(2).value()));
            assertNull(hs.get(3).value(), "a null header value stays null");
            assertEquals(0, hs.get(4).value().length, "an empty header value stays empty");
        }
    }
}
