package dev.embeddings.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real {@code redis-server} (Debian's package, {@code /usr/bin/redis-server}; {@code .ci/run} installs it when
 * missing) owned by one test: it listens on 127.0.0.1 on a free port, keeps its files in a temp folder, persists
 * nothing, and dies with the test ({@link #close()}) or the JVM.
 *
 * <p>A test may {@link #kill()} it (SIGKILL, as a crash or a network cut looks to clients) and {@link #restart()}
 * it on the same port, empty. {@link #command} runs one command with {@code redis-cli} and returns its raw output.
 * {@link #startTls()} serves TLS only, with a self-signed certificate for 127.0.0.1 ({@link #caFile()}) made with
 * {@code openssl}.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.start()) {          // or start("--requirepass", "s3cret")
 *     String url = redis.url();                           // redis://127.0.0.1:<port>
 *     redis.command("DBSIZE");                            // "0"
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {

    /** The server binary; {@code REDIS_SERVER} overrides it. */
    public static final String BINARY = System.getenv().getOrDefault("REDIS_SERVER", "/usr/bin/redis-server");

    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private final boolean tls;
    private volatile Process process;

    private RedisServer(Path dir, int port, List<String> extraArgs, boolean tls) {
        this.dir = dir;
        this.port = port;
        this.extraArgs = extraArgs;
        this.tls = tls;
    }

    /**
     * Starts a server on a free loopback port and waits until it is ready (at most 10 s). {@code extraArgs} are
     * redis-server options, e.g. {@code "--requirepass", "secret"} or {@code "--cluster-enabled", "yes"}.
     * Throws IllegalStateException when the binary is missing or the server does not come up.
     */
    public static RedisServer start(String... extraArgs) throws IOException {
        if (!Files.isExecutable(Path.of(BINARY))) {
            throw new IllegalStateException(BINARY + " is missing: apt-get install redis-server (.ci/run does)");
        }
        return launchNew(Files.createTempDirectory("redis-test"), List.of(extraArgs), false);
    }

    /**
     * Starts a server that speaks TLS only (no plain port), with a fresh self-signed certificate for IP 127.0.0.1
     * ({@link #caFile()}, made with {@code openssl}); clients need no certificate of their own.
     */
    public static RedisServer startTls(String... extraArgs) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("redis-test");
        Process p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", dir.resolve("key.pem").toString(), "-out", dir.resolve("cert.pem").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("openssl.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl could not make a certificate: "
                    + Files.readString(dir.resolve("openssl.log")));
        }
        List<String> args = new ArrayList<>(List.of("--tls-cert-file", dir.resolve("cert.pem").toString(),
                "--tls-key-file", dir.resolve("key.pem").toString(),
                "--tls-ca-cert-file", dir.resolve("cert.pem").toString(), "--tls-auth-clients", "no"));
        args.addAll(List.of(extraArgs));
        return launchNew(dir, args, true);
    }

    private static RedisServer launchNew(Path dir, List<String> args, boolean tls) throws IOException {
        RedisServer r = new RedisServer(dir, GatewayHarness.freePort(), args, tls);
        r.launch();
        Runtime.getRuntime().addShutdownHook(new Thread(r::close, "redis-test-stop"));
        return r;
    }

    /** The PEM certificate a TLS server ({@link #startTls()}) presents, which clients should trust. */
    public Path caFile() {
        return dir.resolve("cert.pem");
    }

    public int port() {
        return port;
    }

    /** {@code redis://127.0.0.1:<port>} ({@code rediss://} for a TLS server). */
    public String url() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
    }

    public boolean isRunning() {
        Process p = process;
        return p != null && p.isAlive();
    }

    /** Kills the server at once (SIGKILL) and waits until it is gone; its port refuses connections afterwards. */
    public void kill() {
        Process p = process;
        if (p != null) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the server again on the same port (empty: nothing is persisted) and waits until it is ready. */
    public void restart() throws IOException {
        kill();
        launch();
    }

    /**
     * Runs one command with {@code redis-cli} against this server and returns its output, trimmed (e.g.
     * {@code command("DBSIZE")} → {@code "3"}). {@code --no-auth-warning -a} is added when the server was started
     * with {@code --requirepass}.
     */
    public String command(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
        if (tls) {
            cmd.addAll(List.of("--tls", "--cacert", caFile().toString()));
        }
        int pass = extraArgs.indexOf("--requirepass");
        if (pass >= 0) {
            cmd.addAll(List.of("--no-auth-warning", "-a", extraArgs.get(pass + 1)));
        }
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        p.waitFor(10, TimeUnit.SECONDS);
        return new String(out, StandardCharsets.UTF_8).trim();
    }

    private void launch() throws IOException {
        Path logFile = dir.resolve("redis.log");
        long logFrom = Files.exists(logFile) ? Files.size(logFile) : 0;
        List<String> cmd = new ArrayList<>(List.of(BINARY, "--bind", "127.0.0.1", "--dir", dir.toString(),
                "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", logFile.toString()));
        cmd.addAll(tls ? List.of("--port", "0", "--tls-port", String.valueOf(port))
                : List.of("--port", String.valueOf(port)));
        cmd.addAll(extraArgs);
        process = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited with " + process.exitValue() + ": " + log());
            }
            if (ready(logFile, logFrom)) {
                return;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting redis-server");
            }
        }
        throw new IllegalStateException("redis-server did not get ready on port " + port + " within 10 s: " + log());
    }

    /** The server logs "Ready to accept connections" once it listens (also in cluster and TLS modes). */
    private static boolean ready(Path logFile, long from) throws IOException {
        if (!Files.exists(logFile)) {
            return false;
        }
        byte[] all = Files.readAllBytes(logFile);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from),
                StandardCharsets.UTF_8).contains("Ready to accept connections");
    }

    private String log() {
        try {
            Path f = dir.resolve("redis.log");
            String s = Files.exists(f) ? Files.readString(f) : Files.readString(dir.resolve("stdout.log"));
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** Kills the server and deletes its folder. */
    @Override
    public void close() {
        kill();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | RuntimeException ignored) {
            // the folder is a temp folder; nothing else depends on its removal
        }
    }
}
