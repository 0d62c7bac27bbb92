package dev.embeddings.gateway.pipeline;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.ChildGateway;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.TopicReader;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.Topics;
import dev.embeddings.gateway.routing.EchoVectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kafka pipeline in a child gateway, killed with SIGKILL and started again at once under the same instance name:
 * thanks to static group membership it takes its partitions back and produces again within 10 s of being ready
 * (with dynamic membership it waited out the dead consumer's 45 s session), and no record is lost.
 */
class KafkaRestartTest {

    @Test
    void aGatewayKilledAndRestartedAtOnceResumesWithinTenSeconds() throws Exception {
        KafkaBroker broker = KafkaBroker.shared();
        Topics topics = Topics.create(broker, "restart");
        WireMockServer upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
                .extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/echo/embeddings"))
                .willReturn(aResponse().withTransformers(EchoVectors.NAME)));
        String config = "model_list:\n  - model_name: echo\n    litellm_params:\n      model: azure/echo\n"
                + "      api_base: http://127.0.0.1:" + upstream.port() + "\n      api_key: k\n      api_version: v1\n";
        String[] args = {"--kafka-bootstrap", broker.bootstrap(), "--gateway.kafka.inputTopic=" + topics.in(),
                "--gateway.kafka.outputTopic=" + topics.out(), "--gateway.kafka.dlqTopic=" + topics.dlq(),
                "--gateway.kafka.groupId=" + topics.group(), "--gateway.kafka.model=echo",
                "--gateway.instanceName=pipeline-replica-1", "--no-reload"};
        try (KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(broker);
             TopicReader results = new TopicReader(broker, topics.out())) {
            ChildGateway first = ChildGateway.start(config, Map.of(), List.of("-Xmx256m"), args);
            try {
                for (int i = 0; i < 30; i++) {
                    producer.send(new ProducerRecord<>(topics.in(), utf8("k" + (i % 3)), utf8(String.valueOf(i))));
                }
                producer.flush();
                assertEquals(30, results.await(30, Duration.ofSeconds(90)).size(), "before the kill");
            } finally {
                first.process.destroyForcibly();
                assertTrue(first.process.waitFor(10, TimeUnit.SECONDS));
                first.close();
            }
            // records sent while no gateway runs are not lost either
            for (int i = 30; i < 40; i++) {
                producer.send(new ProducerRecord<>(topics.in(), utf8("k" + (i % 3)), utf8(String.valueOf(i))));
            }
            producer.flush();
            ChildGateway second = ChildGateway.start(config, Map.of(), List.of("-Xmx256m"), args);
            try {
                long ready = System.nanoTime();
                // at least once: records the dead gateway had sent results for but not yet committed come again
                Set<String> inputs = new HashSet<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (inputs.size() < 40 && System.nanoTime() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : results.await(inputs.size() + 1, Duration.ofSeconds(1))) {
                        inputs.add(KafkaTestSupport.json(r.value()).get("data").get(0).get("embedding").get(0)
                                .asText());
                    }
                }
                double seconds = (System.nanoTime() - ready) / 1e9;
                System.out.printf("Kafka pipeline after kill -9 and restart: all 40 inputs through %.1f s after "
                        + "ready (%d results, the extra ones redone at least once)%n", seconds, results.count());
                assertEquals(40, inputs.size(), "every record has its result");
                assertTrue(seconds < 10, "resumed " + seconds + " s after ready");
            } finally {
                second.close();
            }
        } finally {
            upstream.stop();
        }
    }
}
