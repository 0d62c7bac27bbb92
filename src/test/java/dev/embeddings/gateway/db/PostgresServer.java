package dev.embeddings.gateway.db;

import dev.embeddings.gateway.GatewayHarness;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for tests, from Debian's package ({@code /usr/lib/postgresql/<v>/bin}), in a temp
 * directory on a free loopback port, with trust authentication for user {@code postgres}. PostgreSQL refuses to run
 * as root: when the tests run as root (here and in CI), initdb and the server run as the {@code postgres} user
 * through {@code runuser}, with the data directory owned by it. {@link #stop()} and {@link #start()} can be called
 * again (a database outage in the middle of a test); {@link #close()} stops it and deletes its files.
 */
public final class PostgresServer implements AutoCloseable {

    public final int port;
    private final Path dir;
    private final Path data;
    private final Path bin;
    private final boolean root;

    private PostgresServer(Path bin, Path dir, int port, boolean root) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.root = root;
    }

    /** initdb and start a new server; fails when no PostgreSQL binaries are installed. */
    public static PostgresServer startNew() throws Exception {
        Path bin = findBin();
        boolean root = "root".equals(System.getProperty("user.name"));
        Path dir = Files.createTempDirectory(Path.of("/tmp"), "gw-pg");
        PostgresServer pg = new PostgresServer(bin, dir, GatewayHarness.freePort(), root);
        if (root) {
            run(List.of("chown", "-R", "postgres:postgres", dir.toString()), 30);
            run(List.of("chmod", "700", dir.toString()), 30);
        }
        pg.as(List.of(bin.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "postgres", "-A", "trust",
                "-E", "UTF8", "--no-sync", "--no-instructions"), 120);
        pg.start();
        return pg;
    }

    private static Path findBin() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("PostgreSQL is not installed (/usr/lib/postgresql): apt-get install "
                    + "postgresql, as .ci/run does");
        }
        try (var versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin")).filter(b -> Files.isExecutable(b.resolve("postgres")))
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException("no postgres binary under /usr/lib/postgresql"));
        }
    }

    /** Starts the server (again) and waits until it accepts connections. */
    public void start() throws Exception {
        as(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", dir.resolve("server.log").toString(),
                "-w", "-t", "60", "-o", "-p " + port + " -h 127.0.0.1 -k " + dir + " -F"
                        + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100",
                "start"), 90);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("PostgreSQL did not listen on " + port);
    }

    /** Stops the server at once (fast shutdown: open connections are cut). */
    public void stop() throws Exception {
        as(List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), 60);
    }

    /** The URL as LiteLLM users write it: {@code postgresql://postgres@127.0.0.1:<port>/postgres}. */
    public String url() {
        return "postgresql://postgres@127.0.0.1:" + port + "/postgres";
    }

    /** A JDBC URL for the tests' own queries. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /** The data directory (to scan its files). */
    public Path dataDir() {
        return data;
    }

    private void as(List<String> cmd, int timeoutSeconds) throws Exception {
        List<String> full = new ArrayList<>();
        if (root) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        run(full, timeoutSeconds);
    }

    private static void run(List<String> cmd, int timeoutSeconds) throws Exception {
        Path out = Files.createTempFile("gw-pg-cmd", ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timed out: " + String.join(" ", cmd));
        }
        String log = Files.readString(out);
        Files.deleteIfExists(out);
        if (p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " exited " + p.exitValue() + ":\n" + log);
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (Exception ignored) {
            // already stopped
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // a temp dir
        }
    }
}
