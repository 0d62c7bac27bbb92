package dev.embeddings.gateway.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.message.MapMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /metrics, the access log, the overhead header and the request id in the MDC, on a real gateway (Azure-format
 * WireMock upstreams): counters move by exactly what known requests (a retry, a fallback, a cooldown, an rpm 429, a
 * 401) should make them move, and nothing secret reaches the scrape or a label.
 */
class ObservabilityHttpTest {

    static final String UPSTREAM_KEY = "sk-upstream-secret-value-4242";
    static final String MASTER = "sk-master-secret-value-4242";
    static final String INPUT_TEXT = "a private sentence 7731";
    static final String[] KEY = {"Authorization", "Bearer " + MASTER};

    static WireMockServer upstream;
    static GatewayHarness gw;
    static final List<LogEvent> events = new CopyOnWriteArrayList<>();
    static AbstractAppender capture;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        StringBuilder cfg = new StringBuilder("model_list:\n");
        for (String[] d : new String[][]{{"embed", "east", ""}, {"backup", "west", ""}, {"limited", "lim", "rpm: 1"}, {"limited2", "lim2", "rpm: 1"},
                {"broken", "broken", "num_retries: 0"}, {"slow", "slow", "timeout: 1\n      num_retries: 0"},
                {"pair", "c1", "weight: 1000000"}, {"pair", "c2", "weight: 0.000001"}}) {
            cfg.append("  - model_name: ").append(d[0]).append("\n    litellm_params:\n      model: azure/")
                    .append(d[1]).append("\n      api_base: ").append(base)
                    .append("\n      api_key: os.environ/UPSTREAM_KEY\n      api_version: \"2024-10-21\"\n");
            if (!d[2].isEmpty()) {
                cfg.append("      ").append(d[2]).append('\n');
            }
            cfg.append("    model_info:\n      id: ").append(d[1]).append("\n      vector_space: echo\n");
        }
        cfg.append("""
                general_settings:
                  master_key: os.environ/MASTER
                router_settings:
                  num_retries: 1
                  allowed_fails: 1
                  cooldown_time: 30
                litellm_settings:
                  fallbacks: [{"embed": ["backup"]}]
                """);
        gw = GatewayHarness.start(cfg.toString(), Map.of("UPSTREAM_KEY", UPSTREAM_KEY, "MASTER", MASTER));
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        capture = new AbstractAppender("capture-observability", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        capture.start();
        ctx.getConfiguration().addAppender(capture);
        ctx.getConfiguration().getRootLogger().addAppender(capture, null, null);
        ctx.updateLoggers();
    }

    @AfterAll
    static void stop() {
        LoggerContext ctx = (LoggerContext) LogManager.getContext(false);
        ctx.getConfiguration().getRootLogger().removeAppender(capture.getName());
        ctx.updateLoggers();
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

    private static void answer(String deployment) {
        upstream.stubFor(post(urlPathEqualTo(path(deployment))).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(Upstream.fixture("azure/embeddings-2.json"))));
    }

    private static void fail(String deployment) {
        upstream.stubFor(post(urlPathEqualTo(path(deployment))).willReturn(aResponse().withStatus(500)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"boom\",\"code\":\"internal\"}}")));
    }

    private static HttpResponse<String> embed(String model, String requestId, String... headers) throws Exception {
        String[] h = new String[headers.length + 2];
        System.arraycopy(headers, 0, h, 0, headers.length);
        h[headers.length] = "x-request-id";
        h[headers.length + 1] = requestId;
        return gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":[\"" + INPUT_TEXT + "\",\"b\"]}", h);
    }

    static Scrape scrape() throws Exception {
        HttpResponse<String> r = gw.get("/metrics", KEY);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"),
                r.headers().toString());
        return new Scrape(r.body());
    }

    @Test
    void metricsMoveByExactlyWhatKnownRequestsDo() throws Exception {
        assertEquals(401, gw.get("/metrics").statusCode(), "the scrape needs the master key");
        Scrape before = scrape();

        answer("east");
        assertEquals(200, embed("embed", "m-ok", KEY).statusCode());
        // a retry: east fails once, then answers
        upstream.resetAll();
        upstream.stubFor(post(urlPathEqualTo(path("east"))).inScenario("retry").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(500)).willSetStateTo("ok"));
        upstream.stubFor(post(urlPathEqualTo(path("east"))).inScenario("retry").whenScenarioStateIs("ok")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                        .withBody(Upstream.fixture("azure/embeddings-2.json"))));
        assertEquals(200, embed("embed", "m-retry", KEY).statusCode());
        // a fallback: east fails twice (num_retries 1), backup answers
        upstream.resetAll();
        fail("east");
        answer("west");
        HttpResponse<String> fallback = embed("embed", "m-fallback", KEY);
        assertEquals(200, fallback.statusCode(), fallback.body());
        assertEquals("west", fallback.headers().firstValue("x-gateway-deployment-id").orElse(null));
        // rpm: 1 -> the second request gets 429
        answer("lim");
        assertEquals(200, embed("limited", "m-rpm-1", KEY).statusCode());
        assertEquals(429, embed("limited", "m-rpm-2", KEY).statusCode());
        // no key
        assertEquals(401, embed("embed", "m-401").statusCode());
        // a cooldown: c1 fails (allowed_fails 1 opens its circuit), the retry goes to c2
        fail("c1");
        answer("c2");
        HttpResponse<String> cooled = embed("pair", "m-cool", KEY);
        assertEquals(200, cooled.statusCode(), cooled.body());
        assertEquals("c2", cooled.headers().firstValue("x-gateway-deployment-id").orElse(null));

        Scrape after = scrape();
        String req = "embeddings_gateway_requests_total";
        assertDelta(2, before, after, req, "operation", "embeddings", "model_group", "embed", "deployment", "east",
                "provider", "azure", "status_class", "2xx");
        assertDelta(1, before, after, req, "model_group", "embed", "deployment", "west", "status_class", "2xx");
        assertDelta(1, before, after, req, "model_group", "limited", "deployment", "lim", "status_class", "2xx");
        assertDelta(1, before, after, req, "model_group", "limited", "deployment", "", "status_class", "4xx");
        assertDelta(1, before, after, req, "operation", "embeddings", "model_group", "", "deployment", "",
                "status_class", "4xx");
        assertDelta(1, before, after, req, "model_group", "pair", "deployment", "c2", "status_class", "2xx");
        // one retry in the retry step, one before the fallback
        assertDelta(2, before, after, "embeddings_gateway_retries_total", "deployment", "east");
        assertDelta(1, before, after, "embeddings_gateway_retries_total", "deployment", "c1");
        assertDelta(1, before, after, "embeddings_gateway_fallbacks_total", "model_group", "embed",
                "fallback_group", "backup");
        assertDelta(1, before, after, "embeddings_gateway_rate_limit_rejections_total", "scope", "deployment",
                "limit", "rpm", "model_group", "limited", "deployment", "lim");
        assertDelta(1, before, after, "embeddings_gateway_cooldowns_total", "deployment", "c1");
        assertEquals(1.0, after.gauge("embeddings_gateway_deployment_circuit_state", "deployment", "c1",
                "state", "open"));
        assertEquals(0.0, after.gauge("embeddings_gateway_deployment_circuit_state", "deployment", "c1",
                "state", "closed"));
        assertEquals(1.0, after.gauge("embeddings_gateway_deployment_circuit_state", "deployment", "east",
                "state", "closed"), "the only deployment of a group never cools down");
        // tokens as the upstream counted them (9 per answer)
        assertDelta(18, before, after, "embeddings_gateway_tokens_total", "deployment", "east");
        assertDelta(9, before, after, "embeddings_gateway_tokens_total", "deployment", "west");
        // upstream calls by outcome: east answered 2, failed 1 (retry) + 2 (before the fallback)
        String calls = "embeddings_gateway_upstream_call_duration_seconds";
        assertEquals(2, after.histogramCount(calls, "deployment", "east", "status_class", "2xx")
                - before.histogramCount(calls, "deployment", "east", "status_class", "2xx"));
        assertEquals(3, after.histogramCount(calls, "deployment", "east", "status_class", "5xx")
                - before.histogramCount(calls, "deployment", "east", "status_class", "5xx"));
        // per request: inputs (2 each) and upstream calls (1 + 2 + 3) of the three "embed" requests
        String inputs = "embeddings_gateway_request_inputs";
        assertEquals(3, after.histogramCount(inputs, "model_group", "embed")
                - before.histogramCount(inputs, "model_group", "embed"));
        assertEquals(6.0, after.histogramSum(inputs, "model_group", "embed")
                - before.histogramSum(inputs, "model_group", "embed"), 1e-9);
        String perRequest = "embeddings_gateway_request_upstream_calls";
        assertEquals(6.0, after.histogramSum(perRequest, "model_group", "embed")
                - before.histogramSum(perRequest, "model_group", "embed"), 1e-9);
        assertEquals(3, after.histogramCount("embeddings_gateway_request_duration_seconds", "model_group", "embed",
                "status_class", "2xx") - before.histogramCount("embeddings_gateway_request_duration_seconds",
                "model_group", "embed", "status_class", "2xx"), "3 successful embed requests");
        assertEquals(3, after.histogramCount("embeddings_gateway_overhead_seconds", "operation", "embeddings",
                "model_group", "embed") - before.histogramCount("embeddings_gateway_overhead_seconds",
                "operation", "embeddings", "model_group", "embed"));
        // the scrape itself is the request in flight; a GET holds no body bytes
        assertEquals(1.0, after.gauge("embeddings_gateway_requests_in_flight"));
        assertEquals(0.0, after.gauge("embeddings_gateway_request_body_in_flight_bytes"));
        // JVM and process metrics
        assertTrue(after.families.containsKey("jvm_memory_used_bytes"), after.families.keySet().toString());
        assertTrue(after.families.containsKey("process_cpu_usage"), after.families.keySet().toString());

        // nothing secret or client-chosen in the whole scrape
        for (String forbidden : List.of(UPSTREAM_KEY, MASTER, INPUT_TEXT, "Bearer", "m-retry", "m-401")) {
            assertFalse(after.text.contains(forbidden), "the scrape contains " + forbidden);
        }
        // an unknown model is not a label
        assertEquals(404, embed("no-such-model-991", "m-404", KEY).statusCode());
        assertFalse(scrape().text.contains("no-such-model-991"));
    }

    private static void assertDelta(double expected, Scrape before, Scrape after, String name, String... labels) {
        assertEquals(expected, after.counter(name, labels) - before.counter(name, labels), 1e-9,
                name + " " + List.of(labels));
    }

    /** The access-log event of request {@code id}. */
    private static MapMessage<?, ?> accessLine(String id) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            for (LogEvent e : events) {
                if (AccessLog.LOGGER.equals(e.getLoggerName()) && e.getMessage() instanceof MapMessage<?, ?> m
                        && id.equals(m.get("request_id"))) {
                    return m;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no access-log line for " + id);
    }

    private static Number num(MapMessage<?, ?> line, String key) {
        Object v = line.getIndexedReadOnlyStringMap().getValue(key);
        assertTrue(v instanceof Number, key + " = " + v);
        return (Number) v;
    }

    private static long accessLines(String id) {
        return events.stream().filter(e -> AccessLog.LOGGER.equals(e.getLoggerName())
                && e.getMessage() instanceof MapMessage<?, ?> m && id.equals(m.get("request_id"))).count();
    }

    @Test
    void oneAccessLineForEveryRequestWithItsFields() throws Exception {
        answer("east");
        answer("lim2");
        fail("broken");
        upstream.stubFor(post(urlPathEqualTo(path("slow"))).willReturn(aResponse().withFixedDelay(3000)
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Upstream.fixture("azure/embeddings-2.json"))));
        Map<String, HttpResponse<String>> sent = new java.util.LinkedHashMap<>();
        sent.put("log-200", embed("embed", "log-200", KEY));
        sent.put("log-400", gw.post("/v1/embeddings", "{\"model\":\"embed\"}", "x-request-id", "log-400", KEY[0], KEY[1]));
        sent.put("log-401", embed("embed", "log-401"));
        sent.put("log-404", embed("unknown-model", "log-404", KEY));
        embed("limited2", "log-429-first", KEY);
        sent.put("log-429", embed("limited2", "log-429", KEY));
        sent.put("log-502", embed("broken", "log-502", KEY));
        sent.put("log-504", embed("slow", "log-504", KEY));
        int[] statuses = {200, 400, 401, 404, 429, 502, 504};
        int i = 0;
        for (Map.Entry<String, HttpResponse<String>> s : sent.entrySet()) {
            HttpResponse<String> r = s.getValue();
            assertEquals(statuses[i++], r.statusCode(), s.getKey() + ": " + r.body());
            assertEquals(s.getKey(), r.headers().firstValue("x-request-id").orElse(null));
            MapMessage<?, ?> line = accessLine(s.getKey());
            assertEquals(1, accessLines(s.getKey()), "exactly one line for " + s.getKey());
            assertEquals(r.statusCode(), num(line, "status").intValue());
            assertEquals("POST", line.get("method"));
            assertEquals("/v1/embeddings", line.get("path"));
            assertEquals("127.0.0.1", line.get("client"));
            double total = num(line, "total_ms").doubleValue();
            double up = num(line, "upstream_ms").doubleValue();
            double overhead = num(line, "overhead_ms").doubleValue();
            assertTrue(total > 0 && up >= 0 && overhead >= 0 && overhead <= total + 0.01 && up <= total + 0.01,
                    s.getKey() + ": total " + total + " upstream " + up + " overhead " + overhead);
            if (r.statusCode() == 200) {
                assertNull(line.get("error"));
            } else {
                JsonNode err = GatewayHarness.json(r).get("error");
                String expected = err.get("code").isNull() ? err.get("type").asText() : err.get("code").asText();
                assertEquals(expected, line.get("error"), s.getKey());
            }
            String text = line.getFormattedMessage();
            assertFalse(text.contains(INPUT_TEXT) || text.contains(MASTER) || text.contains(UPSTREAM_KEY), text);
        }
        MapMessage<?, ?> ok = accessLine("log-200");
        assertEquals("embed", ok.get("model"));
        assertEquals("east", ok.get("deployment"));
        assertEquals("azure", ok.get("provider"));
        assertEquals(2, num(ok, "inputs").intValue());
        assertEquals(9, num(ok, "tokens").intValue());
        assertEquals(1, num(ok, "upstream_calls").intValue());
        assertTrue(num(ok, "upstream_ms").doubleValue() > 0);
        assertEquals("unknown-model", accessLine("log-404").get("model"));
        assertEquals("model_not_found", accessLine("log-404").get("error"));
        assertEquals("broken", accessLine("log-502").get("deployment"));
        assertEquals("slow", accessLine("log-504").get("deployment"));
        assertTrue(num(accessLine("log-504"), "upstream_ms").doubleValue() >= 900,
                "the 504 waited about 1 s upstream");
        assertEquals("invalid_api_key", accessLine("log-401").get("error"));
        // the text form: key=value pairs in a fixed order
        assertTrue(ok.getFormattedMessage().matches("request_id=log-200 method=POST path=/v1/embeddings status=200 "
                + "error=- model=embed deployment=east provider=azure inputs=2 tokens=9 upstream_calls=1 "
                + "total_ms=[0-9.]+ upstream_ms=[0-9.]+ overhead_ms=[0-9.]+ client=127.0.0.1"), ok.getFormattedMessage());
    }

    @Test
    void everyLogLineOfARequestCarriesItsIdStackTracesIncluded() throws Exception {
        fail("broken");
        embed("broken", "mdc-502", KEY);
        accessLine("mdc-502");
        // the router's and error handler's WARN lines of the failed request (Camel worker thread)
        List<LogEvent> lines = events.stream().filter(e -> "mdc-502".equals(e.getContextData().getValue("request_id")))
                .toList();
        assertTrue(lines.stream().anyMatch(e -> e.getMessage().getFormattedMessage().contains("upstream call failed")),
                lines.toString());
        assertTrue(lines.stream().anyMatch(e -> e.getLoggerName().equals(AccessLog.LOGGER)));
        // a stack trace is rendered into its event by the redacting factory: the MDC stays on that event
        Logger log = LoggerFactory.getLogger("dev.embeddings.gateway.test");
        MDC.put(HttpObserver.MDC_KEY, "mdc-trace");
        try {
            log.warn("failed", new IllegalStateException("with a trace"));
        } finally {
            MDC.remove(HttpObserver.MDC_KEY);
        }
        LogEvent traced = events.stream().filter(e -> "mdc-trace".equals(e.getContextData().getValue("request_id")))
                .findFirst().orElseThrow();
        assertTrue(traced.getMessage().getFormattedMessage().contains("java.lang.IllegalStateException: with a trace"));
        assertTrue(traced.getMessage().getFormattedMessage().contains("\tat "), "the stack frames are in the line");
    }

    @Test
    void everyResponseCarriesAPlausibleOverheadHeader() throws Exception {
        answer("east");
        long t0 = System.nanoTime();
        HttpResponse<String> ok = embed("embed", "oh-200", KEY);
        double clientMs = (System.nanoTime() - t0) / 1e6;
        double overhead = Double.parseDouble(ok.headers().firstValue(HttpObserver.OVERHEAD_HEADER).orElseThrow());
        assertTrue(overhead >= 0 && overhead <= clientMs, overhead + " ms of " + clientMs);
        // slow upstream: the 300 ms it waits are not overhead
        upstream.resetAll();
        upstream.stubFor(post(urlPathEqualTo(path("east"))).willReturn(aResponse().withFixedDelay(300).withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(Upstream.fixture("azure/embeddings-2.json"))));
        t0 = System.nanoTime();
        HttpResponse<String> slow = embed("embed", "oh-slow", KEY);
        clientMs = (System.nanoTime() - t0) / 1e6;
        double slowOverhead = Double.parseDouble(slow.headers().firstValue(HttpObserver.OVERHEAD_HEADER).orElseThrow());
        assertTrue(clientMs >= 300 && slowOverhead < clientMs - 250, slowOverhead + " ms of " + clientMs);
        // answered before any route: 401 on the headers, an unknown path
        for (HttpResponse<String> r : List.of(embed("embed", "oh-401"), gw.get("/no/such/path", KEY))) {
            assertNotNull(r.headers().firstValue(HttpObserver.OVERHEAD_HEADER).orElse(null), r.toString());
            assertTrue(r.headers().firstValue("x-request-id").isPresent(), r.toString());
        }
    }

    @Test
    void whatTheClientChoseIsRedactedInTheAccessLog() throws Exception {
        // a request id shaped like a key is not taken (it would be in every log line of the request)
        HttpResponse<String> r = embed("embed", "sk-live-0123456789abcdef", KEY);
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertTrue(id.matches("[0-9a-f-]{36}"), id);
        assertEquals(id, accessLine(id).get("request_id"));
        // a key sent as a model name, or in an unknown path
        embed("sk-pasted-by-mistake-0123456789", "red-model", KEY);
        MapMessage<?, ?> model = accessLine("red-model");
        assertFalse(model.getFormattedMessage().contains("sk-pasted-by-mistake-0123456789"), model.getFormattedMessage());
        gw.get("/keys/sk-in-the-path-0123456789", "x-request-id", "red-path", KEY[0], KEY[1]);
        MapMessage<?, ?> path = accessLine("red-path");
        assertEquals(404, num(path, "status").intValue());
        assertFalse(path.getFormattedMessage().contains("sk-in-the-path-0123456789"), path.getFormattedMessage());
    }
}
