package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The local model's memory under hostile inputs, in a child JVM started with the launcher's JVM settings
 * ({@code bin/gateway}'s defaults, its heap touched to the maximum at start so that any growth is native memory):
 * rounds of 32 concurrent requests, each one input of 1 MB of random words. Before
 * inputs were bounded, this took the process from 0.4 GB to 10.7 GB of RSS (the tokenizer's and ONNX Runtime's native
 * memory) and 7.6 GB stayed. Now each input is cut to 16 384 characters before tokenizing, and a model call holds at
 * most 32 × 128 tokens, so:
 * <ul>
 *   <li>the peak RSS stays under {@value #PEAK_BOUND_MIB} MiB, and</li>
 *   <li>after three rounds have grown the allocators and the thread pools to their working size, three more add at
 *       most {@value #GROWTH_BOUND_MIB} MiB.</li>
 * </ul>
 */
class LocalModelMemoryTest {

    static final int PEAK_BOUND_MIB = 1024;
    static final int GROWTH_BOUND_MIB = 64;
    static final int CONCURRENCY = 32;
    static final int INPUT_CHARS = 1_000_000;
    static final int WARM_UP_ROUNDS = 3;
    static final int ROUNDS = 6;

    /** The JVM flags bin/gateway uses by default (its DEFAULT_JAVA_OPTS), so the test measures what users run. */
    static List<String> launcherJvmOptions() throws Exception {
        String script = Files.readString(Path.of("bin", "gateway"));
        Matcher m = Pattern.compile("DEFAULT_JAVA_OPTS=\"([^\"]*)\"", Pattern.DOTALL).matcher(script);
        assertTrue(m.find(), "bin/gateway sets DEFAULT_JAVA_OPTS");
        List<String> opts = new ArrayList<>();
        for (String o : m.group(1).replace("\\\n", " ").trim().split("\\s+")) {
            if (!o.isEmpty()) {
                opts.add(o);
            }
        }
        return opts;
    }

    /** The -Xmx value of the launcher's options, e.g. "512m". */
    static String maxHeap(List<String> opts) {
        return opts.stream().filter(o -> o.startsWith("-Xmx")).map(o -> o.substring(4)).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("bin/gateway sets no -Xmx"));
    }

    static long rssMib(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        throw new AssertionError("no VmRSS");
    }

    static String randomWords(Random r, int chars) {
        StringBuilder b = new StringBuilder(chars + 16);
        while (b.length() < chars) {
            int len = 2 + r.nextInt(9);
            for (int i = 0; i < len; i++) {
                b.append((char) ('a' + r.nextInt(26)));
            }
            b.append(' ');
        }
        b.setLength(chars);
        return b.toString();
    }

    @Test
    void rssStaysBoundedAndFlatUnderRepeatedMegabyteInputs() throws Exception {
        Path dir = Files.createTempDirectory("gw-mem");
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, """
                model_list:
                  - model_name: mini
                    litellm_params:
                      model: local/all-minilm-l6-v2
                """);
        int port = GatewayHarness.freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(launcherJvmOptions());
        // the heap committed and touched to its maximum at start: what can still grow is native memory (the
        // tokenizer's, ONNX Runtime's, malloc's), which unbounded inputs used to blow up
        cmd.addAll(List.of("-Xms" + maxHeap(launcherJvmOptions()), "-XX:+AlwaysPreTouch"));
        // the shipped logging configuration (test classes, with log4j2-test.xml, left off the class path)
        String classpath = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes")).collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
        cmd.addAll(List.of("-cp", classpath, GatewayMain.class.getName(),
                "--config", config.toString(), "--routes", "routes", "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--no-reload", "--data-dir", dir.resolve("data").toString(),
                // 1 MB inputs pass the gateway's own per-input limit here: the local model's bound is under test
                "--max-input-chars", "2000000", "--max-request-chars", "64000000",
                // Vert.x starts a new worker thread for each request until the pool is full (a thread stack each):
                // a pool the warm-up rounds fill leaves only the model's memory to watch
                "--gateway.workerThreads=" + CONCURRENCY));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("gateway.log").toFile());
        pb.environment().put("MALLOC_ARENA_MAX", "2");
        Process gw = pb.start();
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            String base = "http://127.0.0.1:" + port;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            boolean ready = false;
            while (!ready && System.nanoTime() < until && gw.isAlive()) {
                try {
                    ready = client.send(HttpRequest.newBuilder(URI.create(base + "/health/readiness")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                } catch (java.io.IOException e) {
                    Thread.sleep(200);
                }
            }
            assertTrue(ready, "gateway did not start: " + Files.readString(dir.resolve("gateway.log")));
            long idle = rssMib(gw.pid());

            Random random = new Random(42);
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < CONCURRENCY; i++) {
                bodies.add(GatewayHarness.JSON.writeValueAsString(java.util.Map.of("model", "mini",
                        "input", randomWords(random, INPUT_CHARS))));
            }
            long peak = idle;
            List<Long> afterRound = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
                for (String body : bodies) {
                    calls.add(client.sendAsync(HttpRequest.newBuilder(URI.create(base + "/v1/embeddings"))
                            .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString()));
                }
                while (!CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).isDone()) {
                    peak = Math.max(peak, rssMib(gw.pid()));
                    Thread.sleep(50);
                }
                for (CompletableFuture<HttpResponse<String>> c : calls) {
                    HttpResponse<String> r = c.get();
                    assertEquals(200, r.statusCode(), r.body());
                    JsonNode out = GatewayHarness.JSON.readTree(r.body());
                    assertEquals(384, out.get("data").get(0).get("embedding").size());
                    assertTrue(out.get("usage").get("prompt_tokens").asInt() <= 126, "at most the window read");
                }
                afterRound.add(rssMib(gw.pid()));
                peak = Math.max(peak, afterRound.get(round));
            }
            System.out.printf("local model RSS: idle %d MiB, after each round of %d x 1 MB inputs %s MiB, peak %d MiB%n",
                    idle, CONCURRENCY, afterRound, peak);
            assertTrue(peak < PEAK_BOUND_MIB, "peak RSS " + peak + " MiB");
            long growth = afterRound.get(ROUNDS - 1) - afterRound.get(WARM_UP_ROUNDS - 1);
            assertTrue(growth <= GROWTH_BOUND_MIB, "RSS grew by " + growth + " MiB after the warm-up: " + afterRound);
        } finally {
            gw.destroy();
            if (!gw.waitFor(20, TimeUnit.SECONDS)) {
                gw.destroyForcibly();
            }
        }
    }
}
