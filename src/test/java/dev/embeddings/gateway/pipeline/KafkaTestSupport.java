package dev.embeddings.gateway.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.GatewayHarness;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Shared helpers of the Kafka pipeline tests: a gateway with the Kafka route on, a producer, a topic reader. */
final class KafkaTestSupport {

    private KafkaTestSupport() {
    }

    /** Topic names of one test: {@code <prefix>.in / .out / .dlq}, created with 3 partitions each. */
    record Topics(String in, String out, String dlq, String group) {
        static Topics create(KafkaBroker broker, String prefix) throws Exception {
            Topics t = new Topics(prefix + ".in", prefix + ".out", prefix + ".dlq", prefix + "-group");
            broker.createTopics(3, t.in, t.out, t.dlq);
            return t;
        }
    }

    /** A gateway on {@code configYaml} with the Kafka route on against {@code broker} and {@code topics}. */
    static GatewayHarness gateway(String configYaml, Map<String, String> env, KafkaBroker broker, Topics topics,
                                  String... extra) throws Exception {
        Path dir = Files.createTempDirectory("gw-kafka");
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, configYaml);
        List<String> args = new ArrayList<>(List.of("--kafka-bootstrap", broker.bootstrap(),
                "--gateway.kafka.inputTopic=" + topics.in(), "--gateway.kafka.outputTopic=" + topics.out(),
                "--gateway.kafka.dlqTopic=" + topics.dlq(), "--gateway.kafka.groupId=" + topics.group(),
                "--gateway.kafka.retryBackoffMs=200", "--gateway.kafka.retryBackoffMaxMs=1000"));
        args.addAll(List.of(extra));
        return GatewayHarness.startWith(config, Path.of("routes"), env, false, args.toArray(String[]::new));
    }

    static KafkaProducer<byte[], byte[]> producer(KafkaBroker broker) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.LINGER_MS_CONFIG, 5),
                new ByteArraySerializer(), new ByteArraySerializer());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String utf8(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static JsonNode json(byte[] b) {
        try {
            return GatewayHarness.JSON.readTree(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** data[i].embedding of a result record as float[n][d]. */
    static float[][] vectors(ConsumerRecord<byte[], byte[]> r) {
        return GatewayHarness.vectors(json(r.value()));
    }

    /** Reads every partition of a topic from the beginning on its own thread, collecting the records. */
    static final class TopicReader implements AutoCloseable {
        private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final Thread thread;
        private volatile boolean running = true;

        TopicReader(KafkaBroker broker, String topic) {
            consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                    ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                    "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
            List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            thread = new Thread(() -> {
                while (running) {
                    var polled = consumer.poll(Duration.ofMillis(50));
                    synchronized (records) {
                        polled.forEach(records::add);
                        records.notifyAll();
                    }
                }
                consumer.close(Duration.ofSeconds(2));
            }, "reader-" + topic);
            thread.start();
        }

        /** Waits until at least {@code n} records were read (or the timeout); returns a copy of all read so far. */
        List<ConsumerRecord<byte[], byte[]>> await(int n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            synchronized (records) {
                while (records.size() < n) {
                    long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                    if (left <= 0) {
                        break;
                    }
                    records.wait(left);
                }
                return new ArrayList<>(records);
            }
        }

        List<ConsumerRecord<byte[], byte[]>> snapshot() {
            synchronized (records) {
                return new ArrayList<>(records);
            }
        }

        int count() {
            synchronized (records) {
                return records.size();
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
