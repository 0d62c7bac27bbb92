package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.GatewayHarness;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} (Debian's package) on a free loopback port, without persistence, for the rate-limit
 * tests. (A small stand-in until the shared test helper of the cache lands; same idea.)
 */
public final class RedisTestServer implements AutoCloseable {

    public final int port;
    private final Process process;

    private RedisTestServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public static RedisTestServer start() throws Exception {
        int port = GatewayHarness.freePort();
        Path log = Files.createTempFile("gw-redis", ".log");
        Process p = new ProcessBuilder("redis-server", "--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("redis-server exited:\n" + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return new RedisTestServer(p, port);
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("redis-server did not listen on " + port);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
