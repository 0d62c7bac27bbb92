package dev.embeddings.gateway;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The real entry point ({@link GatewayMain}) in a child JVM on a free loopback port, with the shipped logging
 * configuration (the test classes, and so log4j2-test.xml, are left off its classpath). Its stdout and stderr go to
 * one file ({@link #output()}). {@link #sigterm()} sends SIGTERM, as an orchestrator stopping a pod would.
 */
public final class ChildGateway implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    public final Process process;
    public final int port;
    private final Path log;

    private ChildGateway(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts {@code GatewayMain --config <configYaml> --port <free> --host 127.0.0.1 --no-reload <args>} with the
     * extra environment {@code env} and JVM options {@code jvmArgs}, and waits (up to 60 s) until
     * {@code /health/readiness} answers 200.
     */
    public static ChildGateway start(String configYaml, Map<String, String> env, List<String> jvmArgs,
                                     String... args) throws Exception {
        Path dir = Files.createTempDirectory("gw-child");
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, configYaml);
        int port = GatewayHarness.freePort();
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", classpath, GatewayMain.class.getName(), "--config", config.toString(),
                "--routes", Path.of("routes").toAbsolutePath().toString(), "--host", "127.0.0.1",
                "--port", String.valueOf(port), "--no-reload", "--data-dir", dir.resolve("data").toString()));
        cmd.addAll(List.of(args));
        if (!List.of(args).contains("--data-dir")) {
            cmd.addAll(List.of("--data-dir", dir.resolve("data").toString()));
        }
        Path log = dir.resolve("gateway.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        ChildGateway child = new ChildGateway(pb.start(), port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!child.process.isAlive()) {
                throw new IllegalStateException("gateway exited with " + child.process.exitValue() + ":\n"
                        + child.output());
            }
            try {
                if (child.get("/health/readiness").statusCode() == 200) {
                    return child;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        child.close();
        throw new IllegalStateException("gateway not ready after 60 s:\n" + child.output());
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Everything the process wrote to stdout and stderr so far. */
    public String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** Sends SIGTERM (what {@code kill PID}, Docker and Kubernetes send). */
    public void sigterm() {
        process.destroy();
    }

    /** Waits for the process to exit; returns its exit code, or throws when it is still running after the wait. */
    public int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("gateway still running after " + seconds + " s");
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
