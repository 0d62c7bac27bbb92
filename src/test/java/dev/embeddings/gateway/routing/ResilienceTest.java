package dev.embeddings.gateway.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.http.UniformDistribution;
import dev.embeddings.gateway.GatewayHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Retries, fallbacks, cooldown, rate limits, deadlines and load balancing against WireMock fault injection.
 * Every case asserts the upstream attempt count (WireMock's journal), the final status and body, and a time bound.
 */
class ResilienceTest {

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(100)
                .extensions(new EchoVectors()));
        upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        StringBuilder cfg = new StringBuilder("model_list:\n");
        for (String[] d : new String[][]{
                {"flaky", "flaky", "flaky", ""}, {"pair", "a", "a", "weight: 3"}, {"pair", "b", "b", "weight: 1"},
                {"primary", "primary", "primary", ""}, {"secondary", "secondary", "secondary", ""},
                {"cool", "c1", "c1", ""}, {"cool", "c2", "c2", ""},
                {"down", "d1", "d1", ""}, {"down", "d2", "d2", ""},
                {"limited", "l1", "l1", "rpm: 2"}, {"limited", "l2", "l2", "rpm: 2"},
                {"slow", "slow", "slow", "timeout: 30"},
                {"mixed", "good", "good", ""}, {"mixed", "bad", "bad", ""}}) {
            cfg.append("  - model_name: ").append(d[0]).append("\n    litellm_params:\n      model: azure/")
                    .append(d[1]).append("\n      api_base: ").append(base).append("\n      api_key: k\n")
                    .append("      api_version: v1\n      timeout: 1\n");
            if (!d[3].isEmpty()) {
                cfg.append("      ").append(d[3]).append('\n');
            }
            // one model behind every deployment name: one vector space (VectorSpaces refuses groups and fallbacks
            // across spaces)
            cfg.append("    model_info:\n      id: ").append(d[2]).append("\n      vector_space: echo\n");
        }
        cfg.append("""
                router_settings:
                  num_retries: 2
                  allowed_fails: 2
                  cooldown_time: 1
                  timeout: 3
                litellm_settings:
                  fallbacks: [{"primary": ["secondary"]}]
                """);
        // "slow" overrides timeout: 30 s, so only the 3 s request deadline bounds it
        String text = cfg.toString().replace("model: azure/slow\n      api_base: " + base
                + "\n      api_key: k\n      api_version: v1\n      timeout: 1\n", "model: azure/slow\n      api_base: "
                + base + "\n      api_key: k\n      api_version: v1\n");
        gw = GatewayHarness.start(text, Map.of());
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    private static String path(String deployment) {
        return "/openai/deployments/" + deployment + "/embeddings";
    }

    private static int attempts(String deployment) {
        return upstream.findAll(postRequestedFor(urlPathEqualTo(path(deployment)))).size();
    }

    private static void echo(String deployment, double failRate) {
        upstream.stubFor(post(urlPathEqualTo(path(deployment))).willReturn(aResponse()
                .withTransformers(EchoVectors.NAME).withTransformerParameter("failRate", failRate)));
    }

    record Outcome(HttpResponse<String> response, long ms) {
    }

    private static Outcome call(String model, String input) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":[\"" + input + "\"]}");
        return new Outcome(r, (System.nanoTime() - t0) / 1_000_000);
    }

    private static void failWith(String deployment, com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder r) {
        upstream.stubFor(post(urlPathEqualTo(path(deployment))).willReturn(r));
    }

    private void assertFault(String label, com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder fault,
                             int status, String code, long maxMs) throws Exception {
        failWith("flaky", fault);
        Outcome o = call("flaky", "1");
        assertEquals(status, o.response().statusCode(), o.response().body());
        assertEquals(code, json(o.response()).get("error").get("code").asText());
        assertEquals(3, attempts("flaky"), "1 attempt + num_retries 2");
        assertTrue(o.ms() < maxMs, "took " + o.ms() + " ms");
        System.out.printf("fault %-26s -> %d %s, %d attempts, %d ms%n", label, status, code, attempts("flaky"), o.ms());
    }

    @Test
    void http500IsRetriedThenMappedTo502() throws Exception {
        assertFault("500", aResponse().withStatus(500), 502, "upstream_error", 2500);
    }

    @Test
    void http503IsRetriedThenMappedTo502() throws Exception {
        assertFault("503", aResponse().withStatus(503), 502, "upstream_error", 2500);
    }

    @Test
    void connectionResetIsRetried() throws Exception {
        assertFault("CONNECTION_RESET_BY_PEER", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER), 502, "upstream_connection_error", 2500);
    }

    @Test
    void emptyResponseIsRetried() throws Exception {
        assertFault("EMPTY_RESPONSE", aResponse().withFault(Fault.EMPTY_RESPONSE), 502, "upstream_connection_error", 2500);
    }

    @Test
    void malformedChunkIsRetried() throws Exception {
        assertFault("MALFORMED_RESPONSE_CHUNK", aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK), 502, "upstream_connection_error", 2500);
    }

    @Test
    void timeoutIsRetriedWithinTheDeadline() throws Exception {
        // per-attempt timeout 1 s, 3 attempts, all inside the 3 s deadline
        assertFault("fixed delay 2.5 s", aResponse().withStatus(200).withFixedDelay(2500), 504, "upstream_timeout", 3700);
    }

    @Test
    void rateLimitHonoursRetryAfter() throws Exception {
        failWith("flaky", aResponse().withStatus(429).withHeader("Retry-After", "1"));
        Outcome o = call("flaky", "1");
        // the third attempt would need another 1 s wait, which the 3 s deadline still allows
        assertEquals(429, o.response().statusCode(), o.response().body());
        assertEquals("1", o.response().headers().firstValue("Retry-After").orElse(null));
        assertEquals(3, attempts("flaky"));
        assertTrue(o.ms() >= 2000 && o.ms() < 3000, "two Retry-After waits of 1 s: " + o.ms() + " ms");
        System.out.printf("fault %-26s -> 429 rate_limit_exceeded, %d attempts, %d ms%n", "429 Retry-After: 1", attempts("flaky"), o.ms());
    }

    @Test
    void failTwiceThenSucceed() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("flaky"))).inScenario("s").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(503)).willSetStateTo("one"));
        upstream.stubFor(post(urlPathEqualTo(path("flaky"))).inScenario("s").whenScenarioStateIs("one")
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)).willSetStateTo("two"));
        upstream.stubFor(post(urlPathEqualTo(path("flaky"))).inScenario("s").whenScenarioStateIs("two")
                .willReturn(aResponse().withTransformers(EchoVectors.NAME)));
        Outcome o = call("flaky", "42");
        assertEquals(200, o.response().statusCode(), o.response().body());
        assertEquals(42f, vectors(json(o.response()))[0][0], 0f);
        assertEquals(3, attempts("flaky"));
        assertEquals("3", o.response().headers().firstValue("x-gateway-attempts").orElse(null));
        assertTrue(o.ms() < 2000, o.ms() + " ms");
    }

    @Test
    void deterministicErrorsAreAttemptedOnce() throws Exception {
        for (var fault : List.of(aResponse().withStatus(400).withBody("{\"error\":{\"message\":\"bad input\"}}"),
                aResponse().withStatus(401), aResponse().withStatus(404),
                aResponse().withStatus(400).withBody("{\"error\":{\"code\":\"context_length_exceeded\","
                        + "\"message\":\"This model's maximum context length is 8192 tokens\"}}"))) {
            upstream.resetAll();
            failWith("flaky", fault);
            Outcome o = call("flaky", "1");
            assertTrue(o.response().statusCode() == 400 || o.response().statusCode() == 502
                    || o.response().statusCode() == 404, o.response().body());
            assertEquals(1, attempts("flaky"), "never retried: " + o.response().body());
        }
    }

    @Test
    void aContextLengthErrorSentWithA5xxIsA400AttemptedOnce() throws Exception {
        // some OpenAI-compatible servers (vLLM, LocalAI behind a proxy) report it as a server error
        failWith("flaky", aResponse().withStatus(500).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"This model's maximum context length is 512 tokens. However, "
                        + "you requested 2051 tokens in the messages.\",\"type\":\"BadRequestError\"}}"));
        Outcome o = call("flaky", "1");
        assertEquals(400, o.response().statusCode(), o.response().body());
        JsonNode e = json(o.response()).get("error");
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals("input", e.get("param").asText());
        assertEquals(1, attempts("flaky"), "never retried");
    }

    @Test
    void aNonJsonErrorPageIsSummarisedNeverEchoed() throws Exception {
        String page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
                + "</center><hr><center>nginx/1.25.3 internal-host-10-0-3-17</center></body></html>";
        failWith("flaky", aResponse().withStatus(502).withHeader("Content-Type", "text/html; charset=utf-8")
                .withBody(page));
        Outcome o = call("flaky", "1");
        assertEquals(502, o.response().statusCode(), o.response().body());
        String message = json(o.response()).get("error").get("message").asText();
        assertEquals("Azure OpenAI upstream returned HTTP 502: a non-JSON answer (text/html, " + page.length()
                + " bytes)", message);
        assertTrue(!o.response().body().contains("nginx") && !o.response().body().contains("<"), o.response().body());
        // a plain-text one gets a short excerpt
        upstream.resetAll();
        failWith("flaky", aResponse().withStatus(503).withHeader("Content-Type", "text/plain")
                .withBody("upstream connect error or disconnect/reset before headers. reset reason: overflow"
                        + " ".repeat(50) + "x".repeat(500)));
        String plain = json(call("flaky", "1").response()).get("error").get("message").asText();
        assertTrue(plain.startsWith("Azure OpenAI upstream returned HTTP 503: a non-JSON answer (text/plain, "), plain);
        assertTrue(plain.contains(": upstream connect error or disconnect/reset before headers."), plain);
        assertTrue(plain.length() < 250 && plain.endsWith("…"), plain);
    }

    @Test
    void upstreamCredentialFailuresAre502NotRetriedAndMayFallBack() throws Exception {
        for (int status : new int[]{401, 403}) {
            upstream.resetAll();
            failWith("flaky", aResponse().withStatus(status).withBody("{\"error\":{\"message\":\"Access denied "
                    + "due to invalid subscription key.\"}}"));
            Outcome o = call("flaky", "1");
            assertEquals(502, o.response().statusCode(), o.response().body());
            assertEquals("api_error", json(o.response()).get("error").get("type").asText());
            assertEquals(status == 401 ? "upstream_authentication_error" : "upstream_permission_denied",
                    json(o.response()).get("error").get("code").asText());
            assertEquals(1, attempts("flaky"), "retrying the same credentials is pointless");
        }
        // a group with a fallback: the other group serves
        upstream.resetAll();
        failWith("primary", aResponse().withStatus(401));
        echo("secondary", 0);
        Outcome o = call("primary", "5");
        assertEquals(200, o.response().statusCode(), o.response().body());
        assertEquals("secondary", o.response().headers().firstValue("x-gateway-model-group").orElse(null));
        assertEquals(5f, vectors(json(o.response()))[0][0], 0f);
        assertEquals(1, attempts("primary"));
    }

    @Test
    void randomDelaysStillAnswer() throws Exception {
        upstream.stubFor(post(urlPathEqualTo(path("flaky"))).willReturn(aResponse().withTransformers(EchoVectors.NAME)
                .withRandomDelay(new UniformDistribution(0, 300))));
        for (int i = 0; i < 5; i++) {
            Outcome o = call("flaky", String.valueOf(i));
            assertEquals(200, o.response().statusCode());
            assertEquals(i, vectors(json(o.response()))[0][0], 0f);
        }
        assertEquals(5, attempts("flaky"));
    }

    @Test
    void requestDeadlineBoundsASlowUpstream() throws Exception {
        failWith("slow", aResponse().withStatus(200).withFixedDelay(10_000));
        Outcome o = call("slow", "1");
        assertEquals(504, o.response().statusCode(), o.response().body());
        assertTrue(o.ms() < 3700, "the 3 s deadline bounds the 30 s per-attempt timeout: " + o.ms() + " ms");
        // attempt 1 gets the deadline's remaining ~2 s, the retry the last ~1 s; nothing starts after the deadline
        assertEquals(2, attempts("slow"));
        System.out.printf("deadline 3 s, upstream 10 s: 504 after %d ms, %d attempts%n", o.ms(), attempts("slow"));
    }

    @Test
    void aTricklingBodyIsCutAtTheRequestDeadline() throws Exception {
        // headers at once, then the body a chunk every 500 ms for 10 s: no socket timeout ever fires
        failWith("slow", aResponse().withStatus(200).withBody("{\"data\":[{\"index\":0,\"embedding\":[1,2]}]}"
                + " ".repeat(200)).withChunkedDribbleDelay(20, 10_000));
        Outcome o = call("slow", "1");
        assertEquals(504, o.response().statusCode(), o.response().body());
        assertEquals("timeout", json(o.response()).get("error").get("type").asText());
        assertTrue(o.ms() < 3700, "cut at the 3 s deadline: " + o.ms() + " ms");
        System.out.printf("trickling body, deadline 3 s: 504 after %d ms%n", o.ms());
    }

    @Test
    void slowUpstreamsDoNotStallOtherPaths() throws Exception {
        failWith("slow", aResponse().withStatus(200).withFixedDelay(2_500).withTransformers(EchoVectors.NAME));
        ExecutorService pool = Executors.newFixedThreadPool(40);
        try {
            List<Future<Outcome>> fs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                int n = i;
                fs.add(pool.submit(() -> call("slow", String.valueOf(n))));
            }
            Thread.sleep(500);
            long t0 = System.nanoTime();
            HttpResponse<String> live = gw.get("/health/liveliness");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, live.statusCode());
            assertTrue(ms < 1000, "liveliness took " + ms + " ms with 40 requests waiting on a slow upstream");
            for (int i = 0; i < 40; i++) {
                Outcome o = fs.get(i).get();
                assertEquals(200, o.response().statusCode(), o.response().body());
                assertEquals(i, vectors(json(o.response()))[0][0], 0f);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void redirectsAreNotFollowedAndMapTo502() throws Exception {
        failWith("flaky", aResponse().withStatus(302).withHeader("Location", "http://127.0.0.1:1/elsewhere"));
        Outcome o = call("flaky", "1");
        assertEquals(502, o.response().statusCode(), o.response().body());
    }

    @Test
    void absurdRetryAfterIsCapped() throws Exception {
        failWith("flaky", aResponse().withStatus(429).withHeader("Retry-After", "Wed, 21 Oct 2099 07:28:00 GMT"));
        HttpResponse<String> r = call("flaky", "1").response();
        assertEquals(429, r.statusCode(), r.body());
        assertEquals("3600", r.headers().firstValue("Retry-After").orElse(null));
        assertEquals(1, attempts("flaky"), "a retry would wait past the deadline, so none is made");
    }

    @Test
    void weightedShuffleFollowsWeights() throws Exception {
        echo("a", 0);
        echo("b", 0);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int n = i;
                fs.add(pool.submit(() -> call("pair", String.valueOf(n)).response().statusCode()));
            }
            for (Future<Integer> f : fs) {
                assertEquals(200, f.get());
            }
        } finally {
            pool.shutdown();
        }
        int a = attempts("a");
        int b = attempts("b");
        assertEquals(1000, a + b);
        double share = a / 1000.0;
        System.out.printf("weighted shuffle 3:1 -> a %d, b %d (%.1f%%)%n", a, b, share * 100);
        assertTrue(Math.abs(share - 0.75) <= 0.05, "a got " + share);
    }

    @Test
    void fallbackGroupServesWhenThePrimaryIsDown() throws Exception {
        failWith("primary", aResponse().withStatus(500));
        echo("secondary", 0);
        Outcome o = call("primary", "7");
        assertEquals(200, o.response().statusCode(), o.response().body());
        assertEquals("primary", json(o.response()).get("model").asText());
        assertEquals("secondary", o.response().headers().firstValue("x-gateway-model-group").orElse(null));
        assertEquals("secondary", o.response().headers().firstValue("x-gateway-deployment-id").orElse(null));
        assertEquals(7f, vectors(json(o.response()))[0][0], 0f);
        assertEquals(3, attempts("primary"));
        assertEquals(1, attempts("secondary"));
    }

    @Test
    void cooldownTakesAFailingDeploymentOutAndBringsItBack() throws Exception {
        failWith("c1", aResponse().withStatus(500));
        echo("c2", 0);
        for (int i = 0; i < 30 && attempts("c1") < 2; i++) {
            assertEquals(200, call("cool", String.valueOf(i)).response().statusCode());
        }
        assertEquals(2, attempts("c1"), "c1 failed allowed_fails times");
        for (int i = 0; i < 20; i++) {
            Outcome o = call("cool", String.valueOf(i));
            assertEquals(200, o.response().statusCode());
            assertEquals("c2", o.response().headers().firstValue("x-gateway-deployment-id").orElse(null));
        }
        assertEquals(2, attempts("c1"), "c1 is out while cooling down");
        echo("c1", 0);
        Thread.sleep(1200);
        int served = 0;
        for (int i = 0; i < 30; i++) {
            Outcome o = call("cool", String.valueOf(i));
            assertEquals(200, o.response().statusCode());
            if ("c1".equals(o.response().headers().firstValue("x-gateway-deployment-id").orElse(null))) {
                served++;
            }
        }
        assertTrue(served > 0, "c1 is back after cooldown_time and a successful half-open probe");
    }

    @Test
    void everyDeploymentCoolingDownGives429WithRetryAfter() throws Exception {
        failWith("d1", aResponse().withStatus(500));
        failWith("d2", aResponse().withStatus(503));
        HttpResponse<String> last = null;
        for (int i = 0; i < 6; i++) {
            last = call("down", "1").response();
        }
        assertEquals(429, last.statusCode(), last.body());
        assertEquals("no_deployments_available", json(last).get("error").get("code").asText());
        assertTrue(Integer.parseInt(last.headers().firstValue("Retry-After").orElse("0")) >= 1);
        int before = attempts("d1") + attempts("d2");
        call("down", "1");
        assertEquals(before, attempts("d1") + attempts("d2"), "no upstream call while every deployment cools down");
    }

    @Test
    void rpmLimitMovesToTheOtherDeploymentThen429() throws Exception {
        echo("l1", 0);
        echo("l2", 0);
        for (int i = 0; i < 4; i++) {
            assertEquals(200, call("limited", String.valueOf(i)).response().statusCode());
        }
        assertEquals(2, attempts("l1"));
        assertEquals(2, attempts("l2"));
        HttpResponse<String> r = call("limited", "5").response();
        assertEquals(429, r.statusCode(), r.body());
        assertEquals(4, attempts("l1") + attempts("l2"));
        assertTrue(r.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    void concurrentRequestsAreNeverLostOrMixed() throws Exception {
        echo("good", 0);
        echo("bad", 0.5);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int n = i;
                fs.add(pool.submit(() -> gw.post("/v1/embeddings", "{\"model\":\"mixed\",\"input\":[\"" + n
                        + "\",\"" + (n + 0.5) + "\"]}")));
            }
            int ok = 0;
            for (int i = 0; i < 200; i++) {
                HttpResponse<String> r = fs.get(i).get();
                assertEquals(200, r.statusCode(), r.body());
                float[][] v = vectors(json(r));
                assertEquals(2, v.length);
                assertEquals(i, v[0][0], 0f, "request " + i + " got someone else's vectors");
                assertEquals(i + 0.5f, v[1][0], 0f);
                ok++;
            }
            assertEquals(200, ok);
            System.out.printf("concurrency: 200/200 correct; upstream calls good=%d bad=%d%n", attempts("good"),
                    attempts("bad"));
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void healthProbesEveryDeploymentWithAnEmbeddingsCallAllAtOnce() throws Exception {
        // each upstream takes 600 ms: 14 probes one after another would take 8.4 s
        for (String d : new String[]{"flaky", "a", "b", "primary", "secondary", "c1", "c2", "d1", "l1", "l2", "slow",
                "good", "bad"}) {
            upstream.stubFor(post(urlPathEqualTo(path(d))).willReturn(aResponse().withFixedDelay(600)
                    .withTransformers(EchoVectors.NAME).withTransformerParameter("failRate", 0.0)));
        }
        failWith("d2", aResponse().withStatus(500).withFixedDelay(600));
        long t0 = System.nanoTime();
        HttpResponse<String> r = gw.get("/health");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(ms < 4000, "14 probes of 600 ms took " + ms + " ms: not concurrent");
        System.out.printf("/health: 14 probes of 600 ms in %d ms%n", ms);
        JsonNode body = json(r);
        assertEquals(13, body.get("healthy_count").asInt(), r.body());
        assertEquals(1, body.get("unhealthy_count").asInt());
        assertEquals("d2", body.get("unhealthy_endpoints").get(0).get("id").asText());
        assertEquals("Azure OpenAI upstream returned HTTP 500", body.get("unhealthy_endpoints").get(0)
                .get("error").asText(), r.body());
        List<String> healthyIds = new ArrayList<>();
        body.get("healthy_endpoints").forEach(e -> healthyIds.add(e.get("id").asText()));
        assertEquals(List.of("flaky", "a", "b", "primary", "secondary", "c1", "c2", "d1", "l1", "l2", "slow", "good",
                "bad"), healthyIds, "config order");
        assertTrue(!r.body().contains("\"api_key\"") && !r.body().contains(":\"k\""), r.body());
        String probe = upstream.findAll(postRequestedFor(urlPathEqualTo(path("a")))).get(0).getBodyAsString();
        assertEquals("health check", GatewayHarness.JSON.readTree(probe).get("input").get(0).asText());
    }
}
