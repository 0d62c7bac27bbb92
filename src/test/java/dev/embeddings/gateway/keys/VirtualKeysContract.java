package dev.embeddings.gateway.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Virtual keys end to end over HTTP, against a real gateway and a WireMock Azure upstream: the key API's lifecycle,
 * every enforcement rule (with zero upstream calls on refusal, from WireMock's journal), limits crossed in the middle
 * of a burst, spend after 1,000 concurrent requests and across a restart, the security rules, and a scan of the
 * database for key text. The same suite runs against the embedded default (H2 file) and a real PostgreSQL server:
 * subclasses say which.
 *
 * <p>Every request embeds "hello world": 2 cl100k tokens, and the upstream reports {@code prompt_tokens: 2}, so a
 * request costs 2 x 0.000001 = 0.000002 USD on {@code embed-small}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class VirtualKeysContract {

    static final String MASTER = "sk-master-7e2b1c9d4a";
    static final String BODY = "{\"model\":\"embed-small\",\"input\":\"hello world\"}";
    static final BigDecimal PER_REQUEST = new BigDecimal("0.000002");
    static final String UPSTREAM_BODY = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.25,-0.5,0.125]}],\"model\":\"x\",\"usage\":{\"prompt_tokens\":2,\"total_tokens\":2}}";

    WireMockServer upstream;
    GatewayHarness gw;
    Path dataDir;

    /** The {@code general_settings.database_url} line to add to the config, or "" for the embedded default. */
    abstract String databaseSettings() throws Exception;

    /** Key text must appear nowhere in the database's files: scan them for {@code needles}. */
    abstract void assertFilesFree(List<String> needles) throws Exception;

    @BeforeAll
    void startAll() throws Exception {
        upstream = Upstream.start();
        upstream.stubFor(post(urlPathMatching("/openai/deployments/(small|large)-dep/embeddings"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(UPSTREAM_BODY)));
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/slow-dep/embeddings"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(UPSTREAM_BODY)
                        .withFixedDelay(2000)));
        dataDir = java.nio.file.Files.createTempDirectory("gw-keys-data");
        gw = startGateway();
    }

    GatewayHarness startGateway() throws Exception {
        String base = "http://127.0.0.1:" + upstream.port();
        String deployment = """
                  - model_name: %s
                    litellm_params:
                      model: azure/%s
                      api_base: %s
                      api_key: os.environ/AZ_KEY
                      api_version: "2024-02-01"
                """;
        String config = "model_list:\n"
                + deployment.formatted("embed-small", "small-dep", base)
                + "    model_info: {input_cost_per_token: 0.000001}\n"
                + deployment.formatted("embed-large", "large-dep", base)
                + "    model_info: {base_model: text-embedding-3-large}\n"
                + deployment.formatted("embed-slow", "slow-dep", base)
                + "general_settings:\n  master_key: os.environ/MASTER\n" + databaseSettings();
        return GatewayHarness.start(config, Map.of("AZ_KEY", "az-key-0b1c2d3e4f", "MASTER", MASTER),
                "--data-dir", dataDir.toString(), "--gateway.keys.spendFlushMs=200");
    }

    @AfterAll
    void stopAll() {
        if (gw != null) {
            gw.close();
        }
        upstream.stop();
    }

    // ---- helpers

    HttpResponse<String> admin(String path, String body) throws Exception {
        return gw.post(path, body, "Authorization", "Bearer " + MASTER);
    }

    JsonNode generate(String body) throws Exception {
        HttpResponse<String> r = admin("/key/generate", body);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    HttpResponse<String> embed(String key) throws Exception {
        return gw.post("/v1/embeddings", BODY, "Authorization", "Bearer " + key);
    }

    HttpResponse<String> embed(String key, String body) throws Exception {
        return gw.post("/v1/embeddings", body, "Authorization", "Bearer " + key);
    }

    int upstreamCalls() {
        return upstream.findAll(postRequestedFor(urlPathMatching("/openai/deployments/.*"))).size();
    }

    JsonNode info(String tokenId) throws Exception {
        HttpResponse<String> r = gw.get("/key/info?key=" + tokenId, "Authorization", "Bearer " + MASTER);
        assertEquals(200, r.statusCode(), r.body());
        return json(r).get("info");
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals(code, e.get("code").asText(), r.body());
        assertTrue(e.has("message") && e.has("type") && e.has("param"), r.body());
    }

    /** The rate windows are epoch minutes: keep a burst inside one. */
    static void awaitFreshWindow() throws InterruptedException {
        long inMinute = System.currentTimeMillis() % 60_000;
        if (inMinute > 55_000) {
            Thread.sleep(60_000 - inMinute + 200);
        }
    }

    /** Sends {@code n} requests at once and returns their statuses. */
    List<Integer> burst(int n, java.util.function.IntFunction<HttpResponse<String>> call) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int idx = i;
                fs.add(pool.submit(() -> {
                    go.await();
                    return call.apply(idx).statusCode();
                }));
            }
            go.countDown();
            List<Integer> out = new ArrayList<>();
            for (Future<Integer> f : fs) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    HttpResponse<String> unchecked(java.util.concurrent.Callable<HttpResponse<String>> c) {
        try {
            return c.call();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls until {@code check} holds (spend is written every 200 ms here), at most 20 s. */
    static void eventually(java.util.concurrent.Callable<Boolean> check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!check.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            Thread.sleep(100);
        }
    }

    // ---- the key lifecycle

    @Test
    void lifecycleThroughTheApi() throws Exception {
        JsonNode g = generate("{\"models\":[\"embed-small\"],\"key_alias\":\"life-" + System.nanoTime()
                + "\",\"user_id\":\"ann\",\"team_id\":\"search\",\"metadata\":{\"owner\":\"search-team\"}}");
        String key = g.get("key").asText();
        String id = g.get("token_id").asText();
        assertTrue(key.matches("sk-[A-Za-z0-9_-]{43}"), key);
        assertTrue(id.matches("[0-9a-f]{24}"), id);
        assertEquals("sk-..." + key.substring(key.length() - 4), g.get("key_name").asText());
        assertEquals("embed-small", g.get("models").get(0).asText());
        assertEquals("search-team", g.get("metadata").get("owner").asText());
        assertEquals(0, g.get("spend").decimalValue().signum());

        HttpResponse<String> ok = embed(key);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(3, json(ok).get("data").get(0).get("embedding").size());

        // a key may read its own info, without naming itself in the URL
        HttpResponse<String> self = gw.get("/key/info", "Authorization", "Bearer " + key);
        assertEquals(200, self.statusCode(), self.body());
        assertEquals(id, json(self).get("key").asText());
        assertEquals(0, PER_REQUEST.compareTo(json(self).get("info").get("spend").decimalValue()), self.body());
        assertEquals("ann", info(id).get("user_id").asText());

        HttpResponse<String> up = admin("/key/update", "{\"key\":\"" + id + "\",\"rpm_limit\":100,\"tpm_limit\":null,"
                + "\"metadata\":{\"owner\":\"ops\"}}");
        assertEquals(200, up.statusCode(), up.body());
        assertEquals(100, json(up).get("rpm_limit").asInt());
        assertEquals("ops", info(id).get("metadata").get("owner").asText());

        HttpResponse<String> list = gw.get("/key/list?size=100&user_id=ann", "Authorization", "Bearer " + MASTER);
        assertEquals(200, list.statusCode(), list.body());
        assertTrue(list.body().contains("\"" + id + "\""), list.body());
        assertTrue(json(list).get("total_count").asLong() >= 1);

        int calls = upstreamCalls();
        assertEquals(200, admin("/key/block", "{\"key\":\"" + key + "\"}").statusCode());
        HttpResponse<String> blocked = embed(key);
        assertError(blocked, 401, "invalid_api_key");
        assertTrue(blocked.body().contains("blocked"), blocked.body());
        assertEquals(calls, upstreamCalls(), "no upstream call for a blocked key");
        assertEquals(200, admin("/key/unblock", "{\"key\":\"" + id + "\"}").statusCode());
        assertEquals(200, embed(key).statusCode());

        HttpResponse<String> regen = admin("/key/regenerate", "{\"key\":\"" + id + "\"}");
        assertEquals(200, regen.statusCode(), regen.body());
        String newKey = json(regen).get("key").asText();
        assertNotEquals(key, newKey);
        assertEquals(id, json(regen).get("token_id").asText());
        calls = upstreamCalls();
        assertError(embed(key), 401, "invalid_api_key");
        assertEquals(calls, upstreamCalls());
        assertEquals(200, embed(newKey).statusCode());
        // the spend stays with the key (3 requests so far)
        eventually(() -> info(id).get("spend").decimalValue().compareTo(PER_REQUEST.multiply(BigDecimal.valueOf(3))) == 0);

        HttpResponse<String> del = admin("/key/delete", "{\"keys\":[\"" + id + "\"]}");
        assertEquals(200, del.statusCode(), del.body());
        assertEquals(id, json(del).get("deleted_keys").get(0).asText());
        calls = upstreamCalls();
        assertError(embed(newKey), 401, "invalid_api_key");
        assertEquals(calls, upstreamCalls());
        assertError(gw.get("/key/info?key=" + id, "Authorization", "Bearer " + MASTER), 404, "key_not_found");
    }

    // ---- enforcement, with no upstream call on refusal

    @Test
    void unknownAndExpiredKeysAre401WithoutAnUpstreamCall() throws Exception {
        int calls = upstreamCalls();
        assertError(embed("sk-" + "x".repeat(43)), 401, "invalid_api_key");
        assertError(gw.post("/openai/deployments/embed-small/embeddings?api-version=2024-02-01", BODY,
                "api-key", "sk-unknown-key-123456"), 401, "invalid_api_key");
        String expired = generate("{\"expires\":\"" + Instant.now().minusSeconds(60) + "\"}").get("key").asText();
        HttpResponse<String> r = embed(expired);
        assertError(r, 401, "invalid_api_key");
        assertTrue(r.body().contains("Expired Key"), r.body());
        String shortLived = generate("{\"duration\":\"1s\"}").get("key").asText();
        Thread.sleep(1100);
        assertError(embed(shortLived), 401, "invalid_api_key");
        assertEquals(calls, upstreamCalls());
    }

    @Test
    void modelOutsideTheKeysModelsIs401NamingTheModelOnly() throws Exception {
        String key = generate("{\"models\":[\"embed-small\"]}").get("key").asText();
        int calls = upstreamCalls();
        String large = "{\"model\":\"embed-large\",\"input\":\"hello world\"}";
        for (HttpResponse<String> r : List.of(embed(key, large),
                gw.post("/openai/deployments/embed-large/embeddings?api-version=2024-02-01", BODY, "api-key", key),
                gw.post("/engines/embed-large/embeddings", BODY, "Authorization", "Bearer " + key))) {
            assertError(r, 401, "key_model_access_denied");
            JsonNode e = json(r).get("error");
            assertEquals("key_model_access_denied", e.get("type").asText());
            assertEquals("key not allowed to access model. Tried to access embed-large.", e.get("message").asText());
            assertFalse(r.body().contains("embed-small"), "the allowed list stays private: " + r.body());
        }
        assertEquals(calls, upstreamCalls());
        assertEquals(200, embed(key).statusCode());
    }

    @Test
    void aKeyListsOnlyTheModelsItMayUse() throws Exception {
        String key = generate("{\"models\":[\"embed-small\",\"embed-slow\"]}").get("key").asText();
        for (String path : List.of("/v1/models", "/models")) {
            assertEquals(List.of("embed-small", "embed-slow"), modelIds(gw.get(path, "Authorization", "Bearer " + key)));
            assertEquals(List.of("embed-small", "embed-large", "embed-slow"),
                    modelIds(gw.get(path, "Authorization", "Bearer " + MASTER)));
        }
        assertEquals("embed-small", json(gw.get("/v1/models/embed-small", "Authorization", "Bearer " + key))
                .get("id").asText());
        // a model outside the key is answered as one that does not exist, as OpenAI does
        assertError(gw.get("/v1/models/embed-large", "Authorization", "Bearer " + key), 404, "model_not_found");
        assertEquals(200, gw.get("/v1/models/embed-large", "Authorization", "Bearer " + MASTER).statusCode());
        String all = generate("{\"models\":[\"all-proxy-models\"]}").get("key").asText();
        assertEquals(3, modelIds(gw.get("/v1/models", "Authorization", "Bearer " + all)).size());
        // /health probes (and shows) only the key's deployments too
        String smallOnly = generate("{\"models\":[\"embed-small\"]}").get("key").asText();
        HttpResponse<String> health = gw.get("/health", "Authorization", "Bearer " + smallOnly);
        assertEquals(200, health.statusCode(), health.body());
        List<String> probed = new java.util.ArrayList<>();
        for (String list : List.of("healthy_endpoints", "unhealthy_endpoints")) {
            json(health).get(list).forEach(e -> probed.add(e.get("model_name").asText()));
        }
        assertEquals(List.of("embed-small"), probed, health.body());
    }

    private static List<String> modelIds(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        List<String> ids = new java.util.ArrayList<>();
        json(r).get("data").forEach(m -> ids.add(m.get("id").asText()));
        return ids;
    }

    @Test
    void rpmLimitIs429WithRetryAfter() throws Exception {
        awaitFreshWindow();
        String key = generate("{\"rpm_limit\":2}").get("key").asText();
        assertEquals(200, embed(key).statusCode());
        assertEquals(200, embed(key).statusCode());
        int calls = upstreamCalls();
        HttpResponse<String> r = embed(key);
        assertError(r, 429, "rate_limit_exceeded");
        long retry = Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retry >= 1 && retry <= 60, "Retry-After " + retry);
        assertTrue(r.body().contains("Limit type: requests. Current limit: 2, Remaining: 0."), r.body());
        assertEquals(calls, upstreamCalls());
    }

    @Test
    void maxParallelRequestsIs429WhileOneIsInFlight() throws Exception {
        String key = generate("{\"max_parallel_requests\":1}").get("key").asText();
        String slow = "{\"model\":\"embed-slow\",\"input\":\"hello world\"}";
        int before = upstream.findAll(postRequestedFor(urlPathEqualTo("/openai/deployments/slow-dep/embeddings"))).size();
        CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> unchecked(() -> embed(key, slow)));
        eventually(() -> upstream.findAll(postRequestedFor(urlPathEqualTo("/openai/deployments/slow-dep/embeddings")))
                .size() == before + 1);
        HttpResponse<String> second = embed(key, slow);
        assertError(second, 429, "rate_limit_exceeded");
        assertEquals("1", second.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(second.body().contains("max_parallel_requests"), second.body());
        assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
        assertEquals(before + 1, upstream.findAll(postRequestedFor(urlPathEqualTo(
                "/openai/deployments/slow-dep/embeddings"))).size());
        // the slot is free again once the first answered
        assertEquals(200, embed(key, slow).statusCode());
    }

    @Test
    void spentBudgetIs400BudgetExceeded() throws Exception {
        String key = generate("{\"max_budget\":0.000003}").get("key").asText();
        assertEquals(200, embed(key).statusCode());
        int calls = upstreamCalls();
        HttpResponse<String> r = embed(key);
        assertError(r, 400, "budget_exceeded");
        assertEquals("budget_exceeded", json(r).get("error").get("type").asText());
        assertEquals(calls, upstreamCalls());
    }

    @Test
    void budgetResetsAfterItsDuration() throws Exception {
        JsonNode g = generate("{\"max_budget\":0.000002,\"budget_duration\":\"2s\"}");
        String key = g.get("key").asText();
        assertEquals(200, embed(key).statusCode());
        HttpResponse<String> r = embed(key);
        assertError(r, 400, "budget_exceeded");
        assertTrue(r.body().contains("Budget resets at"), r.body());
        Thread.sleep(2200);
        assertEquals(200, embed(key).statusCode(), "a new budget period");
    }

    // ---- limits crossed in the middle of a burst

    @Test
    void tpmLimitCrossedInABurstRefusesExactlyTheRequestsBeyondIt() throws Exception {
        awaitFreshWindow();
        // 7 tokens a minute, 2 per request: 3 fit, the 4th would make 8
        String key = generate("{\"tpm_limit\":7}").get("key").asText();
        int calls = upstreamCalls();
        List<Integer> statuses = burst(10, i -> unchecked(() -> embed(key)));
        assertEquals(3, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        assertEquals(7, statuses.stream().filter(s -> s == 429).count(), statuses.toString());
        assertEquals(calls + 3, upstreamCalls());
    }

    @Test
    void maxBudgetCrossedInABurstRefusesExactlyTheRequestsBeyondIt() throws Exception {
        // 0.000011 USD, 0.000002 per request: 5 fit (0.00001); a 6th would take the spend past the budget
        JsonNode g = generate("{\"max_budget\":0.000011}");
        String key = g.get("key").asText();
        int calls = upstreamCalls();
        List<Integer> statuses = burst(12, i -> unchecked(() -> embed(key)));
        assertEquals(5, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        assertEquals(7, statuses.stream().filter(s -> s == 400).count(), statuses.toString());
        assertEquals(calls + 5, upstreamCalls());
        String id = g.get("token_id").asText();
        eventually(() -> info(id).get("spend").decimalValue().compareTo(new BigDecimal("0.00001")) == 0);
        assertError(embed(key), 400, "budget_exceeded");
    }

    // ---- spend

    @Test
    void spendOfAThousandConcurrentRequestsAddsUpAndSurvivesARestart() throws Exception {
        JsonNode g = generate("{\"user_id\":\"bulk-user\",\"team_id\":\"bulk-team\"}");
        String key = g.get("key").asText();
        String id = g.get("token_id").asText();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            fs.add(pool.submit(() -> embed(key).statusCode()));
        }
        for (Future<Integer> f : fs) {
            assertEquals(200, f.get(120, TimeUnit.SECONDS));
        }
        pool.shutdown();
        BigDecimal expected = PER_REQUEST.multiply(BigDecimal.valueOf(1000));
        eventually(() -> {
            HttpResponse<String> logs = gw.get("/spend/logs?api_key=" + id + "&limit=5000", "Authorization",
                    "Bearer " + MASTER);
            return json(logs).size() == 1000;
        });
        JsonNode logs = json(gw.get("/spend/logs?api_key=" + id + "&limit=5000", "Authorization", "Bearer " + MASTER));
        BigDecimal sum = BigDecimal.ZERO;
        java.util.Set<String> requestIds = new java.util.HashSet<>();
        for (JsonNode row : logs) {
            sum = sum.add(row.get("spend").decimalValue());
            requestIds.add(row.get("request_id").asText());
            assertEquals(2, row.get("prompt_tokens").asInt());
            assertEquals("embed-small", row.get("model_group").asText());
            assertEquals("bulk-user", row.get("user").asText());
            assertEquals("bulk-team", row.get("team_id").asText());
            assertEquals("aembedding", row.get("call_type").asText());
        }
        assertEquals(1000, requestIds.size());
        assertEquals(0, expected.compareTo(sum), sum.toPlainString());
        assertEquals(0, expected.compareTo(info(id).get("spend").decimalValue()));

        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        JsonNode byKey = json(gw.get("/global/spend/report?start_date=" + today + "&end_date=" + today
                + "&group_by=api_key&api_key=" + id, "Authorization", "Bearer " + MASTER));
        assertEquals(1, byKey.size(), byKey.toString());
        assertEquals(0, expected.compareTo(byKey.get(0).get("total_cost").decimalValue()));
        assertEquals(2000, byKey.get(0).get("total_input_tokens").asLong());
        JsonNode byTeam = json(gw.get("/global/spend/report?start_date=" + today + "&end_date=" + today
                + "&team_id=bulk-team", "Authorization", "Bearer " + MASTER));
        assertEquals(today, byTeam.get(0).get("group_by_day").asText());
        assertEquals("bulk-team", byTeam.get(0).get("teams").get(0).get("team_name").asText());
        assertEquals(0, expected.compareTo(byTeam.get(0).get("teams").get(0).get("total_spend").decimalValue()));
        JsonNode daily = json(gw.get("/spend/logs?start_date=" + today + "&end_date=" + today + "&user_id=bulk-user",
                "Authorization", "Bearer " + MASTER));
        assertEquals(0, expected.compareTo(daily.get(0).get("spend").decimalValue()), daily.toString());
        assertEquals(0, expected.compareTo(daily.get(0).get(id).decimalValue()), daily.toString());

        // a clean stop writes what is queued; a new gateway on the same database sees it all
        gw.close();
        gw = startGateway();
        assertEquals(0, expected.compareTo(info(id).get("spend").decimalValue()));
        assertEquals(200, embed(key).statusCode());
    }

    // ---- security rules

    @Test
    void onlyTheMasterKeyManagesKeys() throws Exception {
        JsonNode g = generate("{}");
        String key = g.get("key").asText();
        String other = generate("{}").get("token_id").asText();
        String ref = "{\"key\":\"" + other + "\"}";
        Map<String, String> posts = new HashMap<>();
        posts.put("/key/generate", "{}");
        posts.put("/key/update", "{\"key\":\"" + other + "\",\"rpm_limit\":1000000}");
        posts.put("/key/regenerate", ref);
        posts.put("/key/block", ref);
        posts.put("/key/unblock", ref);
        posts.put("/key/delete", "{\"keys\":[\"" + other + "\"]}");
        for (Map.Entry<String, String> p : posts.entrySet()) {
            assertError(gw.post(p.getKey(), p.getValue(), "Authorization", "Bearer " + key), 403, "permission_denied");
        }
        for (String path : List.of("/key/list", "/key/info?key=" + other, "/spend/logs",
                "/global/spend/report?start_date=2024-01-01&end_date=2024-01-02", "/metrics")) {
            assertError(gw.get(path, "Authorization", "Bearer " + key), 403, "permission_denied");
        }
        assertEquals(200, gw.get("/metrics", "Authorization", "Bearer " + MASTER).statusCode());
        // nothing changed for the other key
        JsonNode o = info(other);
        assertTrue(o.get("rpm_limit").isNull());
        assertFalse(o.get("blocked").asBoolean());
    }

    @Test
    void keysGetNoMoreThanTheMasterKeyGives() throws Exception {
        for (String field : List.of("\"allowed_routes\":[\"/key/generate\"]", "\"user_role\":\"proxy_admin\"",
                "\"permissions\":{\"admin\":true}", "\"key\":\"sk-my-own-chosen-key-123\"",
                "\"model_max_budget\":{}", "\"key_type\":\"management\"")) {
            HttpResponse<String> r = admin("/key/generate", "{" + field + "}");
            assertEquals(400, r.statusCode(), field + ": " + r.body());
        }
        String id = generate("{}").get("token_id").asText();
        HttpResponse<String> r = admin("/key/update", "{\"key\":\"" + id + "\",\"allowed_routes\":[\"/key/list\"]}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("allowed_routes", json(r).get("error").get("param").asText());
        assertEquals(400, admin("/key/generate", "{\"models\":[\"no-such-model\"]}").statusCode());
    }

    @Test
    void keyTextIsNeverAcceptedInAUrl() throws Exception {
        String key = generate("{}").get("key").asText();
        HttpResponse<String> r = gw.get("/key/info?key=" + key, "Authorization", "Bearer " + MASTER);
        assertEquals(400, r.statusCode(), r.body());
        assertFalse(r.body().contains(key));
        assertEquals(400, gw.get("/spend/logs?api_key=" + key, "Authorization", "Bearer " + MASTER).statusCode());
        // nor as a credential in a query
        assertError(gw.post("/v1/embeddings?api-key=" + key, BODY), 401, "invalid_api_key");
    }

    @Test
    void listAndErrorsCarryNoKeyTextNorHash() throws Exception {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            keys.add(generate("{\"models\":[\"embed-small\"],\"rpm_limit\":1}").get("key").asText());
        }
        HttpResponse<String> list = gw.get("/key/list?size=100&return_full_object=true", "Authorization",
                "Bearer " + MASTER);
        assertEquals(200, list.statusCode());
        awaitFreshWindow();
        List<String> bodies = new ArrayList<>(List.of(list.body()));
        bodies.add(gw.get("/key/list?size=100", "Authorization", "Bearer " + MASTER).body());
        bodies.add(embed(keys.get(0), "{\"model\":\"embed-large\",\"input\":\"hello world\"}").body());
        embed(keys.get(1));
        bodies.add(embed(keys.get(1)).body());
        for (String key : keys) {
            String hash = KeyText.hash(key);
            for (String b : bodies) {
                assertFalse(b.contains(key), "key text in " + b);
                assertFalse(b.contains(key.substring(3, 20)), "part of the key text in " + b);
                assertFalse(b.contains(hash), "key hash in " + b);
                assertFalse(b.contains(hash.substring(0, 16)), "part of the key hash in " + b);
            }
        }
    }

    @Test
    void theDatabaseHoldsNoKeyText() throws Exception {
        List<String> needles = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String key = generate("{\"key_alias\":\"scan-" + i + "-" + System.nanoTime() + "\"}").get("key").asText();
            assertEquals(200, embed(key).statusCode());
            needles.add(key);
            needles.add(key.substring(3));
        }
        String regenerated = json(admin("/key/regenerate", "{\"key\":\"" + needles.get(0) + "\"}")).get("key").asText();
        needles.add(regenerated);
        needles.add(regenerated.substring(3));
        Thread.sleep(600);
        // every column of every table, as text
        try (Connection c = gw.gateway.keys().database().connection(); Statement s = c.createStatement()) {
            int rows = 0;
            for (String table : List.of("virtual_keys", "spend_logs", "flyway_schema_history")) {
                try (ResultSet rs = s.executeQuery("SELECT * FROM " + table)) {
                    int cols = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        rows++;
                        for (int i = 1; i <= cols; i++) {
                            String v = rs.getString(i);
                            for (String n : needles) {
                                assertFalse(v != null && v.contains(n), table + " holds key text");
                            }
                        }
                    }
                }
            }
            assertTrue(rows > 6, "scanned " + rows + " rows");
        }
        assertFilesFree(needles);
    }

    @Test
    void readinessReportsTheDatabase() throws Exception {
        HttpResponse<String> r = gw.get("/health/readiness");
        assertEquals(200, r.statusCode());
        assertEquals("connected", json(r).get("db").asText(), r.body());
    }
}
