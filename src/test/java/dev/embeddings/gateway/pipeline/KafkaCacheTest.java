package dev.embeddings.gateway.pipeline;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.cache.CacheEcho;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.TopicReader;
import dev.embeddings.gateway.pipeline.KafkaTestSupport.Topics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.embeddings.gateway.pipeline.KafkaTestSupport.json;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.utf8;
import static dev.embeddings.gateway.pipeline.KafkaTestSupport.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The Kafka pipeline reads and fills the same per-input cache as the HTTP API (steps of direct:embed). */
class KafkaCacheTest {

    @Test
    void recordsAreServedFromTheCacheTheHttpApiFilled() throws Exception {
        WireMockServer upstream = CacheEcho.server();
        KafkaBroker broker = KafkaBroker.shared();
        Topics topics = Topics.create(broker, "cache-" + System.nanoTime());
        try (GatewayHarness gw = KafkaTestSupport.gateway("""
                model_list:
                  - model_name: echo
                    litellm_params: {model: azure/echo, api_base: http://127.0.0.1:%d, api_key: k, api_version: v1}
                litellm_settings:
                  cache: true
                  cache_params: {type: local}
                """.formatted(upstream.port()), Map.of(), broker, topics, "--gateway.kafka.model=echo");
             KafkaProducer<byte[], byte[]> producer = KafkaTestSupport.producer(broker);
             TopicReader results = new TopicReader(broker, topics.out())) {
            assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"echo\",\"input\":[\"from http 1\","
                    + "\"from http 2\"]}").statusCode());
            upstream.resetRequests();

            List<String> texts = List.of("from http 2", "from kafka", "from http 1");
            for (int i = 0; i < texts.size(); i++) {
                producer.send(new ProducerRecord<>(topics.in(), utf8("key-" + i), utf8(texts.get(i)))).get();
            }
            List<ConsumerRecord<byte[], byte[]>> out = results.await(3, Duration.ofSeconds(30));
            assertEquals(3, out.size());
            Map<String, ConsumerRecord<byte[], byte[]>> byKey = new HashMap<>();
            out.forEach(r -> byKey.put(utf8(r.key()), r));
            for (int i = 0; i < texts.size(); i++) {
                ConsumerRecord<byte[], byte[]> r = byKey.get("key-" + i);
                assertArrayEquals(CacheEcho.vector("echo", texts.get(i), null), vectors(r)[0]);
                // a cached record counts the tokens stored with its vector (CacheEcho: one per character)
                assertEquals(texts.get(i).length(), json(r.value()).get("usage").get("prompt_tokens").asInt());
            }
            List<String> upstreamInputs = new ArrayList<>();
            CacheEcho.inputs(upstream, "echo").forEach(upstreamInputs::addAll);
            assertEquals(List.of("from kafka"), upstreamInputs, "only the record the cache did not have went upstream");
        } finally {
            upstream.stop();
        }
    }
}
