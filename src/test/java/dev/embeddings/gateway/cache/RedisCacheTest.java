package dev.embeddings.gateway.cache;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Redis store against a real {@code redis-server} owned by each test: two gateway replicas sharing it, the
 * stored format and TTLs, an outage (the server killed mid-test, then restarted on the same port), Redis Cluster
 * and TLS.
 */
class RedisCacheTest {

    static WireMockServer upstream;

    @BeforeAll
    static void start() {
        upstream = CacheEcho.server();
    }

    @AfterAll
    static void stop() {
        upstream.stop();
    }

    private static String config(String cacheParams) {
        return """
                model_list:
                  - model_name: echo
                    litellm_params: {model: azure/echo, api_base: http://127.0.0.1:%d, api_key: k, api_version: v1}
                litellm_settings:
                  cache: true
                  cache_params: %s
                """.formatted(upstream.port(), cacheParams);
    }

    private static HttpResponse<String> embed(GatewayHarness gw, String body) throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", body);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static String hits(HttpResponse<String> r) {
        return r.headers().firstValue(EmbeddingCache.HITS_HEADER).orElse(null);
    }

    private static EmbeddingCache cache(GatewayHarness gw) {
        return gw.gateway.camelContext().getRegistry().lookupByNameAndType(EmbeddingCache.BEAN, EmbeddingCache.class);
    }

    /** Waits (at most 10 s) until the gateway's Redis store serves. */
    private static void awaitAvailable(GatewayHarness gw) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!cache(gw).storeAvailable() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(cache(gw).storeAvailable(), "the Redis store is connected");
    }

    /** Waits (at most 5 s) until Redis holds {@code n} keys: stores are written in the background. */
    private static void awaitKeys(RedisServer redis, int n) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!redis.command("DBSIZE").equals(String.valueOf(n)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(String.valueOf(n), redis.command("DBSIZE"));
    }

    @Test
    void twoReplicasShareOneRedis() throws Exception {
        try (RedisServer redis = RedisServer.start("--requirepass", "redis-pass-123");
             GatewayHarness a = GatewayHarness.start(config("{type: redis, ttl: 600, namespace: gw-test}"),
                     Map.of("REDIS_HOST", "127.0.0.1", "REDIS_PORT", String.valueOf(redis.port()),
                             "REDIS_PASSWORD", "redis-pass-123"));
             GatewayHarness b = GatewayHarness.start(config("{type: redis, host: 127.0.0.1, port: " + redis.port()
                     + ", password: redis-pass-123, ttl: 600, namespace: gw-test}"), Map.of())) {
            awaitAvailable(a);
            awaitAvailable(b);
            upstream.resetRequests();
            HttpResponse<String> first = embed(a, "{\"model\":\"echo\",\"input\":[\"replica one\",\"replica two\"]}");
            assertEquals("0/2", hits(first));
            awaitKeys(redis, 2);
            int calls = upstream.getAllServeEvents().size();
            assertEquals(1, calls);

            HttpResponse<String> second = embed(b, "{\"model\":\"echo\",\"input\":[\"replica two\",\"replica one\"],"
                    + "\"cache\":{\"ttl\":30}}");
            assertEquals("2/2", hits(second));
            assertEquals(calls, upstream.getAllServeEvents().size(), "replica b made no upstream call");
            assertArrayEquals(vectors(json(first))[1], vectors(json(second))[0]);
            assertArrayEquals(vectors(json(first))[0], vectors(json(second))[1]);
            assertEquals(json(first).get("usage"), json(second).get("usage"));
            String space = first.headers().firstValue("x-gateway-vector-space").orElseThrow();
            assertEquals(12, space.length());
            assertEquals(space, second.headers().firstValue("x-gateway-vector-space").orElseThrow());

            // stored as float32 bytes plus the token count, not JSON, with the configured TTL, under the namespace
            List<String> keys = Arrays.asList(redis.command("KEYS", "*").split("\n"));
            assertEquals(2, keys.size(), keys.toString());
            for (String key : keys) {
                assertTrue(key.matches("gw-test:[0-9a-f]{64}"), key);
                assertEquals(String.valueOf(4 + 4 * 3), redis.command("STRLEN", key));
                long ttl = Long.parseLong(redis.command("TTL", key));
                assertTrue(ttl > 590 && ttl <= 600, "ttl " + ttl);
            }
            // a request's own ttl
            embed(b, "{\"model\":\"echo\",\"input\":\"replica three\",\"cache\":{\"ttl\":30}}");
            awaitKeys(redis, 3);
            long shortest = Long.MAX_VALUE;
            for (String key : redis.command("KEYS", "*").split("\n")) {
                shortest = Math.min(shortest, Long.parseLong(redis.command("TTL", key)));
            }
            assertTrue(shortest > 20 && shortest <= 30, "ttl " + shortest);
            assertEquals(0, cache(a).errors());
        }
    }

    @Test
    void aRedisOutageNeitherFailsNorSlowsRequestsAndWarnsOnce() throws Exception {
        try (RedisServer redis = RedisServer.start();
             GatewayHarness gw = GatewayHarness.start(config("{type: redis, url: " + redis.url() + "}"), Map.of())) {
            awaitAvailable(gw);
            EmbeddingCache cache = cache(gw);
            List<Long> normal = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                long t0 = System.nanoTime();
                assertEquals("0/1", hits(embed(gw, "{\"model\":\"echo\",\"input\":\"before " + i + "\"}")));
                normal.add(System.nanoTime() - t0);
            }
            assertEquals("1/1", hits(embed(gw, "{\"model\":\"echo\",\"input\":\"before 0\"}")));

            redis.kill();
            List<Long> during = new ArrayList<>();
            for (int i = 0; i < 15; i++) {
                long t0 = System.nanoTime();
                HttpResponse<String> r = embed(gw, "{\"model\":\"echo\",\"input\":[\"before 1\",\"during " + i + "\"]}");
                during.add(System.nanoTime() - t0);
                assertEquals("0/2", hits(r));
                assertArrayEquals(CacheEcho.vector("echo", "during " + i, null), vectors(json(r))[1]);
            }
            assertFalse(cache.storeAvailable());
            assertTrue(cache.errors() >= 1);
            assertEquals(1, cache.outages());
            // normal latency: the median within 100 ms of the median with Redis up, none near a second
            long normalMedian = median(normal);
            long duringMedian = median(during);
            System.out.printf("request latency median: %.2f ms with Redis up, %.2f ms during the outage%n",
                    normalMedian / 1e6, duringMedian / 1e6);
            assertTrue(duringMedian < normalMedian + 100_000_000L, "median " + duringMedian / 1e6 + " ms during the "
                    + "outage vs " + normalMedian / 1e6 + " ms before");
            assertTrue(during.stream().allMatch(n -> n < 1_000_000_000L), "every request under 1 s: " + during);

            redis.restart();
            awaitAvailable(gw);
            assertEquals("0/1", hits(embed(gw, "{\"model\":\"echo\",\"input\":\"after\"}")));
            awaitKeys(redis, 1);
            assertEquals("1/1", hits(embed(gw, "{\"model\":\"echo\",\"input\":\"after\"}")));

            String where = "127.0.0.1:" + redis.port();
            String log = Files.readString(Path.of("target/test-logs/tests.log"));
            assertEquals(1, count(log, "Redis cache at redis://" + where + " is unavailable"), "one WARN per outage");
            assertEquals(1, count(log, "Redis cache at redis://" + where + " is back"));
        }
    }

    @Test
    void theGatewayStartsAndServesWhenRedisIsNotThere() throws Exception {
        int nothing = GatewayHarness.freePort();
        try (GatewayHarness gw = GatewayHarness.start(config("{type: redis, url: \"redis://127.0.0.1:" + nothing
                + "\"}"), Map.of())) {
            upstream.resetRequests();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = embed(gw, "{\"model\":\"echo\",\"input\":\"no redis\"}");
                assertEquals("0/1", hits(r));
                assertArrayEquals(CacheEcho.vector("echo", "no redis", null), vectors(json(r))[0]);
            }
            assertEquals(3, upstream.getAllServeEvents().size());
            assertFalse(cache(gw).storeAvailable());
            assertEquals(1, cache(gw).outages(), "one outage, however many probes failed");
        }
    }

    @Test
    void redisClusterSplitsMgetBySlot() throws Exception {
        try (RedisServer redis = RedisServer.start("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-announce-ip", "127.0.0.1")) {
            assertEquals("OK", redis.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383"));
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!redis.command("CLUSTER", "INFO").contains("cluster_state:ok") && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(redis.command("CLUSTER", "INFO").contains("cluster_state:ok"));
            try (GatewayHarness gw = GatewayHarness.start(config("{type: redis, redis_startup_nodes: [{host: "
                    + "127.0.0.1, port: " + redis.port() + "}]}"), Map.of())) {
                awaitAvailable(gw);
                String body = "{\"model\":\"echo\",\"input\":[\"c1\",\"c2\",\"c3\",\"c4\",\"c5\"]}";
                assertEquals("0/5", hits(embed(gw, body)));
                awaitKeys(redis, 5);
                HttpResponse<String> again = embed(gw, body);
                assertEquals("5/5", hits(again));
                assertArrayEquals(CacheEcho.vector("echo", "c4", null), vectors(json(again))[3]);
            }
        }
    }

    @Test
    void tlsUrlWithTheServersCertificate() throws Exception {
        try (RedisServer redis = RedisServer.startTls();
             GatewayHarness gw = GatewayHarness.start(config("{type: redis, url: \"" + redis.url()
                     + "\", ssl_ca_certs: \"" + redis.caFile() + "\"}"), Map.of())) {
            assertTrue(redis.url().startsWith("rediss://"));
            awaitAvailable(gw);
            assertEquals("0/2", hits(embed(gw, "{\"model\":\"echo\",\"input\":[\"tls a\",\"tls b\"]}")));
            awaitKeys(redis, 2);
            assertEquals("2/2", hits(embed(gw, "{\"model\":\"echo\",\"input\":[\"tls b\",\"tls a\"]}")));
        }
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
