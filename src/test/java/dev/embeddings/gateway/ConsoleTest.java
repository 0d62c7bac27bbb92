package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What an operator reads on the console of the real entry point (child JVM, shipped log4j2.xml), here with
 * {@code --log-format json}: every line is a JSON object; the start-up summary; one WARN per unknown config key; no
 * CUDA/GPU warning on this CPU-only host; access-log lines with numeric fields; a broken route file on reload as one
 * WARN naming the broken file, line and column (not the file that changed), no stack trace; a public /metrics.
 */
class ConsoleTest {

    static final String UPSTREAM_KEY = "sk-console-upstream-key-9911";
    static final String MASTER = "sk-console-master-key-9911";

    static List<JsonNode> lines(String output) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            assertTrue(line.startsWith("{"), "not a JSON line: " + line);
            out.add(GatewayHarness.JSON.readTree(line));
        }
        return out;
    }

    static List<JsonNode> matching(List<JsonNode> lines, String level, String text) {
        return lines.stream().filter(l -> level == null || level.equals(l.path("level").asText()))
                .filter(l -> l.path("message").asText().contains(text)).toList();
    }

    @Test
    void jsonConsoleStartupSummaryConfigWarningsAccessLogAndReloadErrors() throws Exception {
        Path routes = Files.createTempDirectory("console-routes");
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        String config = """
                model_list:
                  - model_name: mini
                    litellm_params:
                      model: local/all-minilm-l6-v2
                  - model_name: remote
                    litellm_params:
                      model: azure/remote-deployment
                      api_base: http://127.0.0.1:9
                      api_key: os.environ/UPSTREAM_KEY
                      tiemout: 5
                    model_info:
                      id: remote-1
                general_settings:
                  master_key: os.environ/MASTER
                  metrics_public: true
                router_settings:
                  num_retires: 2
                """;
        try (ChildGateway gw = ChildGateway.start(config, Map.of("UPSTREAM_KEY", UPSTREAM_KEY, "MASTER", MASTER),
                List.of("-Xmx512m"), "--routes", routes.toString(), "--reload", "--log-format", "json")) {
            HttpResponse<String> metrics = gw.get("/metrics");
            assertEquals(200, metrics.statusCode(), "metrics_public: no key needed");
            HttpResponse<String> ok = gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"hello\"}",
                    "Authorization", "Bearer " + MASTER, "x-request-id", "console-1");
            assertEquals(200, ok.statusCode(), ok.body());
            // a request is counted as its response ends, which may be just after the client has it
            String scrape = metrics.body();
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (!scrape.contains("embeddings_gateway_requests_total{") && System.nanoTime() < until) {
                Thread.sleep(50);
                scrape = gw.get("/metrics").body();
            }
            assertTrue(scrape.contains("embeddings_gateway_requests_total{"), scrape);

            // a broken save, then an edit of another (valid) file: both reloads fail on the broken one
            Path broken = routes.resolve("zz-broken.yaml");
            Path tmp = routes.resolve("zz-broken.tmp");
            Files.writeString(tmp, "- route:\n    id: broken\n    from:\n      uri: direct:x\n      steps:\n"
                    + "        - log: \"a\"\n       - bad: [\n");
            Files.move(tmp, broken, StandardCopyOption.ATOMIC_MOVE);
            List<JsonNode> lines = waitFor(gw, "routes not reloaded", 1);
            Path other = routes.resolve("metrics.yaml");
            Path tmp2 = routes.resolve("metrics.tmp");
            Files.writeString(tmp2, Files.readString(other) + "\n");
            Files.move(tmp2, other, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            lines = waitFor(gw, "routes not reloaded", 2);
            String output = gw.output();

            // start-up summary
            String summary = String.join("\n", lines.stream()
                    .filter(l -> l.path("logger").asText().endsWith("StartupSummary"))
                    .map(l -> l.path("message").asText()).toList());
            assertTrue(summary.contains("ready in ") && summary.contains("on http://127.0.0.1:" + gw.port), summary);
            assertTrue(summary.contains("models: 2 model group(s), 2 deployment(s)"), summary);
            assertTrue(summary.contains("mini -> local/all-minilm-l6-v2 [mini#0]"), summary);
            assertTrue(summary.contains("remote -> azure/remote-deployment [remote-1]"), summary);
            assertTrue(summary.contains("auth: on") && summary.contains("reload: on (" + routes)
                    && summary.contains("kafka pipeline: off"), summary);
            assertTrue(summary.contains("metrics: GET /metrics (public)") && summary.contains("tracing: off"), summary);
            assertFalse(output.contains(UPSTREAM_KEY) || output.contains(MASTER), "a secret reached the console");
            // the config's folder has no application.properties
            assertTrue(summary.contains("properties: none (built-in defaults)"), summary);
            assertEquals(1, matching(lines, "WARN", "no application.properties next to").size(), output);

            // each unknown key once, with the key it resembles
            assertEquals(1, matching(lines, "WARN", "litellm_params: unknown key 'tiemout' is ignored (not a LiteLLM "
                    + "setting this gateway knows; did you mean 'timeout'?)").size(), output);
            assertTrue(matching(lines, "WARN", "tiemout").get(0).path("message").asText()
                    .contains("model_list entry 'remote'"));
            assertEquals(1, matching(lines, "WARN", "router_settings: unknown key 'num_retires' is ignored (not a "
                    + "LiteLLM setting this gateway knows; did you mean 'num_retries'?)").size(), output);

            // no GPU probe noise on a CPU-only host
            assertFalse(output.toLowerCase(java.util.Locale.ROOT).contains("cuda"), output);

            // the access line: top-level fields, numbers as numbers
            JsonNode access = lines.stream().filter(l -> l.path("logger").asText().equals("dev.embeddings.gateway.access")
                    && "console-1".equals(l.path("request_id").asText())).findFirst().orElseThrow();
            assertEquals(200, access.path("status").asInt());
            assertTrue(access.path("status").isNumber() && access.path("inputs").isNumber(), access.toString());
            assertEquals(1, access.path("inputs").asInt());
            assertEquals("mini", access.path("model").asText());
            assertEquals("mini#0", access.path("deployment").asText());
            assertTrue(access.path("total_ms").isNumber() && access.path("overhead_ms").isNumber(), access.toString());

            // the reload errors: one WARN each, naming the broken file, line and column (also when another file
            // changed), no stack trace, and not Camel's own 40-line report
            List<JsonNode> reload = matching(lines, "WARN", "routes not reloaded");
            assertEquals(2, reload.size(), output);
            for (JsonNode l : reload) {
                assertEquals("routes not reloaded: " + broken + " line 7, column 8: expected <block end>, but found "
                        + "'<block sequence start>' (while parsing a block mapping); the last good routes keep serving",
                        l.path("message").asText());
            }
            assertTrue(matching(lines, null, "Error reloading routes").isEmpty(), output);
            assertTrue(matching(lines, null, "at org.snakeyaml").isEmpty(), output);
            // the last good routes still serve
            assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"mini\",\"input\":\"again\"}",
                    "Authorization", "Bearer " + MASTER).statusCode());
            assertTrue(gw.get("/metrics").body().contains("embeddings_gateway_route_reloads_total{result=\"failed\"} 2"));
        }
    }

    /** Waits (up to 30 s) until {@code n} lines contain {@code text}; returns all lines then. */
    static List<JsonNode> waitFor(ChildGateway gw, String text, int n) throws Exception {
        List<JsonNode> lines = List.of();
        for (int i = 0; i < 300; i++) {
            lines = lines(gw.output());
            if (matching(lines, null, text).size() >= n) {
                return lines;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(n + " line(s) with '" + text + "' expected:\n" + gw.output());
    }
}
