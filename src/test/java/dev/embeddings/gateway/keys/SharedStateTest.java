package dev.embeddings.gateway.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.RedisServer;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.db.PostgresServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * State shared by replicas, on real servers: two gateway instances on one PostgreSQL and one Redis enforce one
 * {@code rpm_limit} together; and a PostgreSQL outage in the middle of traffic: known keys keep working from the key
 * cache, spend waits and catches up when the database returns, counted once.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class SharedStateTest {

    static final String MASTER = "sk-master-5d6e7f8a9b";
    static final String BODY = "{\"model\":\"embed-small\",\"input\":\"hello world\"}";
    static final BigDecimal PER_REQUEST = new BigDecimal("0.000002");

    static PostgresServer pg;
    static RedisServer redis;
    static WireMockServer upstream;
    static GatewayHarness a;
    static GatewayHarness b;

    @BeforeAll
    static void start() throws Exception {
        pg = PostgresServer.startNew();
        redis = RedisServer.start();
        upstream = Upstream.start();
        upstream.stubFor(post(urlPathMatching("/openai/deployments/small-dep/embeddings"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json")
                        .withBody(VirtualKeysContract.UPSTREAM_BODY)));
        a = gateway();
        // b trusts its key cache for 3 s without the database (the default is 300 s)
        b = gateway("--gateway.keys.cacheTtlSeconds=3");
    }

    static GatewayHarness gateway(String... extraArgs) throws Exception {
        String config = """
                model_list:
                  - model_name: embed-small
                    litellm_params:
                      model: azure/small-dep
                      api_base: http://127.0.0.1:%d
                      api_key: os.environ/AZ_KEY
                      api_version: "2024-02-01"
                    model_info: {input_cost_per_token: 0.000001}
                router_settings:
                  redis_host: 127.0.0.1
                  redis_port: %d
                general_settings:
                  master_key: os.environ/MASTER
                  database_url: os.environ/DATABASE_URL
                """.formatted(upstream.port(), redis.port());
        return GatewayHarness.start(config, Map.of("AZ_KEY", "az-key-1a2b3c4d5e", "MASTER", MASTER,
                "DATABASE_URL", pg.url()), java.util.stream.Stream.concat(java.util.stream.Stream.of(
                        "--gateway.keys.spendFlushMs=200"), java.util.stream.Stream.of(extraArgs))
                .toArray(String[]::new));
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[]{a, b}) {
            if (c != null) {
                c.close();
            }
        }
        upstream.stop();
        redis.close();
        pg.close();
    }

    static int upstreamCalls() {
        return upstream.findAll(postRequestedFor(urlPathMatching("/openai/deployments/.*"))).size();
    }

    static JsonNode generate(GatewayHarness gw, String body) throws Exception {
        HttpResponse<String> r = gw.post("/key/generate", body, "Authorization", "Bearer " + MASTER);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void twoInstancesEnforceOneRpmLimit() throws Exception {
        VirtualKeysContract.awaitFreshWindow();
        String key = generate(a, "{\"rpm_limit\":10}").get("key").asText();
        int calls = upstreamCalls();
        ExecutorService pool = Executors.newFixedThreadPool(30);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            GatewayHarness gw = i % 2 == 0 ? a : b;
            fs.add(pool.submit(() -> {
                go.await();
                return gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode();
            }));
        }
        go.countDown();
        List<Integer> statuses = new ArrayList<>();
        for (Future<Integer> f : fs) {
            statuses.add(f.get(60, TimeUnit.SECONDS));
        }
        pool.shutdown();
        assertEquals(10, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        assertEquals(20, statuses.stream().filter(s -> s == 429).count(), statuses.toString());
        assertEquals(calls + 10, upstreamCalls());
        // both instances served some and refused some: the limit was shared, not split
        assertTrue(statuses.subList(0, 30).stream().distinct().count() == 2);
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void aDatabaseOutageKeepsKnownKeysWorkingAndSpendCatchesUpOnce() throws Exception {
        JsonNode g = generate(a, "{\"user_id\":\"outage\"}");
        String key = g.get("key").asText();
        String id = g.get("token_id").asText();
        assertEquals(200, a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());
        assertEquals(200, b.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());

        pg.stop();
        long stoppedAt = System.nanoTime();
        try {
            assertEquals(200, b.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> r = a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key);
                assertEquals(200, r.statusCode(), "request " + i + " during the outage: " + r.body());
            }
            // a key the cache has never seen cannot be checked: 503, never a 401
            HttpResponse<String> unknown = a.post("/v1/embeddings", BODY, "Authorization", "Bearer sk-never-seen-"
                    + System.nanoTime());
            assertEquals(503, unknown.statusCode(), unknown.body());
            assertEquals("key_store_unavailable", json(unknown).get("error").get("code").asText());
            assertEquals("5", unknown.headers().firstValue("Retry-After").orElseThrow());
            VirtualKeysContract.eventually(() -> "disconnected".equals(json(a.get("/health/readiness")).get("db")
                    .asText()));
            assertEquals(200, a.get("/health/readiness").statusCode(), "still ready: known keys are served");
            // past b's ttl without the database, b no longer trusts its cache: 503 (a, with 300 s, still serves)
            Thread.sleep(Math.max(0, 3500 - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt)));
            HttpResponse<String> stale = b.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key);
            assertEquals(503, stale.statusCode(), stale.body());
            assertEquals("key_store_unavailable", json(stale).get("error").get("code").asText());
            assertEquals(200, a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());
        } finally {
            pg.start();
        }

        BigDecimal expected = PER_REQUEST.multiply(BigDecimal.valueOf(24));
        VirtualKeysContract.eventually(() -> {
            HttpResponse<String> info = a.get("/key/info?key=" + id, "Authorization", "Bearer " + MASTER);
            return info.statusCode() == 200
                    && json(info).get("info").get("spend").decimalValue().compareTo(expected) == 0;
        });
        VirtualKeysContract.eventually(() -> "connected".equals(json(a.get("/health/readiness")).get("db").asText()));
        // the writer catches up (its back-off is at most 5 s)
        VirtualKeysContract.eventually(() -> {
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM spend_logs WHERE token_id = '" + id + "'")) {
                rs.next();
                return rs.getInt(1) >= 24;
            }
        });
        // counted once: 24 rows (22 served by a, 2 by b) with 24 distinct ids, and the key's stored
        // spend is their sum
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*), COUNT(DISTINCT id), SUM(spend) FROM spend_logs "
                    + "WHERE token_id = '" + id + "'")) {
                rs.next();
                assertEquals(24, rs.getInt(1));
                assertEquals(24, rs.getInt(2));
                assertEquals(0, expected.compareTo(rs.getBigDecimal(3)));
            }
            try (ResultSet rs = s.executeQuery("SELECT spend FROM virtual_keys WHERE token_id = '" + id + "'")) {
                rs.next();
                assertEquals(0, expected.compareTo(rs.getBigDecimal(1)));
            }
        }
        // the other instance reads the same spend from the database
        HttpResponse<String> fromB = b.get("/key/info?key=" + id, "Authorization", "Bearer " + MASTER);
        assertEquals(0, expected.compareTo(json(fromB).get("info").get("spend").decimalValue()), fromB.body());
    }

    /** Last: Redis stays down. Each instance then counts on its own, and still refuses past the limit. */
    @Test
    @org.junit.jupiter.api.Order(3)
    void withRedisDownEachInstanceStillEnforcesTheLimitOnItsOwn() throws Exception {
        VirtualKeysContract.awaitFreshWindow();
        String key = generate(a, "{\"rpm_limit\":2}").get("key").asText();
        redis.close();
        long fallbacks = a.gateway.keys().rateCounterFallbacks();
        assertEquals(200, a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());
        assertEquals(200, a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key).statusCode());
        HttpResponse<String> third = a.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key);
        assertEquals(429, third.statusCode(), third.body());
        assertEquals(fallbacks + 3, a.gateway.keys().rateCounterFallbacks());
    }
}
