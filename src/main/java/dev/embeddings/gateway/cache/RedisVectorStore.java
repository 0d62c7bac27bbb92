package dev.embeddings.gateway.cache;

import dev.embeddings.gateway.provider.UpstreamErrors;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyValue;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.BaseRedisAsyncCommands;
import io.lettuce.core.api.async.RedisStringAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import io.lettuce.core.resource.DefaultClientResources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The shared store ({@code cache_params.type: redis}): Lettuce's async API on one connection (standalone, TLS with
 * {@code rediss://}, or Redis Cluster, where Lettuce splits {@code MGET} by slot). A lookup is one {@code MGET}; a
 * store is {@code SET key value EX ttl} per entry, written back to back without waiting (pipelined), in the
 * background. Values are {@link CachedVector#toBytes()}: float32 bytes and the token count.
 *
 * <p>Never fails or slows a request beyond {@code socket_timeout} (default 200 ms): commands are rejected at once
 * while disconnected, a lookup waits at most the timeout, and a store never waits. The first failure of an outage
 * logs one WARN and switches the store off ({@link #available()} false: no Redis command at all, every lookup a
 * miss); a probe every {@value #PROBE_MS} ms (reconnecting, then PING) switches it back on and logs one INFO.
 * Lookups on a Vert.x event-loop thread never wait: they count as misses.
 */
public final class RedisVectorStore implements VectorStore {

    private static final Logger LOG = LoggerFactory.getLogger(RedisVectorStore.class);
    static final long PROBE_MS = 500;
    static final long CONNECT_TIMEOUT_MS = 2000;
    /** Commands queued on the connection at most (a slow Redis cannot make stores pile up in memory). */
    static final int MAX_QUEUED = 4096;
    private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private record Commands(StatefulConnection<String, byte[]> connection, RedisStringAsyncCommands<String, byte[]> strings,
                            BaseRedisAsyncCommands<String, byte[]> base) {
    }

    private final CacheSettings.Redis settings;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final ScheduledExecutorService probe;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicBoolean probing = new AtomicBoolean();
    private final LongAdder errors = new LongAdder();
    private final LongAdder outages = new LongAdder();
    private volatile Commands commands;
    private volatile boolean closed;

    /** Starts connecting in the background; the gateway starts whether or not Redis is up. */
    public RedisVectorStore(CacheSettings.Redis settings) {
        this.settings = settings;
        UpstreamErrors.addSecret(settings.password());
        String userInfo = settings.url() == null ? null : java.net.URI.create(settings.url()).getUserInfo();
        if (userInfo != null) {
            // redis://password@host or redis://user:password@host
            UpstreamErrors.addSecret(userInfo.substring(userInfo.indexOf(':') + 1));
        }
        resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
                .reconnectDelay(Delay.exponential(Duration.ofMillis(50), Duration.ofSeconds(1), 2,
                        TimeUnit.MILLISECONDS))
                .build();
        Duration timeout = Duration.ofMillis(settings.timeoutMs());
        SocketOptions socket = SocketOptions.builder().connectTimeout(Duration.ofMillis(Math.max(CONNECT_TIMEOUT_MS,
                settings.timeoutMs()))).keepAlive(true).build();
        SslOptions ssl = settings.caFile() == null ? SslOptions.create()
                : SslOptions.builder().jdkSslProvider().trustManager(new File(settings.caFile())).build();
        if (settings.clusterNodes().isEmpty()) {
            RedisClient c = RedisClient.create(resources);
            c.setOptions(ClientOptions.builder().autoReconnect(true)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .requestQueueSize(MAX_QUEUED).timeoutOptions(TimeoutOptions.enabled(timeout))
                    .socketOptions(socket).sslOptions(ssl).maintNotificationsConfig(MaintNotificationsConfig.disabled())
                    .build());
            client = c;
        } else {
            List<RedisURI> nodes = new ArrayList<>();
            for (String n : settings.clusterNodes()) {
                nodes.add(uri(RedisURI.create((settings.ssl() ? "rediss://" : "redis://") + n)));
            }
            RedisClusterClient c = RedisClusterClient.create(resources, nodes);
            ClusterClientOptions.Builder b = ClusterClientOptions.builder();
            b.autoReconnect(true);
            b.disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
            b.requestQueueSize(MAX_QUEUED);
            b.timeoutOptions(TimeoutOptions.enabled(timeout));
            b.socketOptions(socket);
            b.sslOptions(ssl);
            b.maintNotificationsConfig(MaintNotificationsConfig.disabled());
            c.setOptions(b.build());
            client = c;
        }
        probe = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "redis-cache-probe");
            t.setDaemon(true);
            return t;
        });
        connect().whenComplete((c, t) -> {
            if (t != null) {
                failed(t);
            }
        });
    }

    private RedisURI uri(RedisURI u) {
        if (settings.password() != null) {
            u.setAuthentication(settings.username() != null ? settings.username() : "default", settings.password());
        }
        if (settings.ssl()) {
            u.setSsl(true);
            u.setVerifyPeer(settings.verifyPeer() ? SslVerifyMode.FULL : SslVerifyMode.NONE);
        }
        // the connection's own handshake (TLS, AUTH, HELLO, cluster topology) may take longer than a command may:
        // it runs in the background and never holds a request
        u.setTimeout(Duration.ofMillis(Math.max(CONNECT_TIMEOUT_MS, settings.timeoutMs())));
        return u;
    }

    /** Connects (again) in the background; completes with the commands, or exceptionally. */
    private CompletionStage<Commands> connect() {
        CompletableFuture<Commands> f;
        try {
            f = connectClient();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return f.thenApply(c -> {
            if (closed) {
                c.connection().closeAsync();
            } else {
                commands = c;
            }
            return c;
        });
    }

    private CompletableFuture<Commands> connectClient() {
        CompletableFuture<Commands> f;
        if (client instanceof RedisClient c) {
            f = c.connectAsync(CODEC, uri(RedisURI.create(settings.url()))).toCompletableFuture()
                    .thenApply((StatefulRedisConnection<String, byte[]> conn) ->
                            new Commands(conn, conn.async(), conn.async()));
        } else {
            // the cluster client connects only once it knows the topology
            RedisClusterClient c = (RedisClusterClient) client;
            f = c.refreshPartitionsAsync().toCompletableFuture().thenCompose(v -> c.connectAsync(CODEC))
                    .thenApply((StatefulRedisClusterConnection<String, byte[]> conn) ->
                            new Commands(conn, conn.async(), conn.async()));
        }
        return f;
    }

    @Override
    public CachedVector[] getAll(List<String> keys) {
        CachedVector[] out = new CachedVector[keys.size()];
        Commands c = commands;
        if (c == null || down.get() || keys.isEmpty() || io.vertx.core.Context.isOnEventLoopThread()) {
            return out;
        }
        try {
            RedisFuture<List<KeyValue<String, byte[]>>> f = c.strings().mget(keys.toArray(String[]::new));
            List<KeyValue<String, byte[]>> values = f.get(settings.timeoutMs(), TimeUnit.MILLISECONDS);
            for (int i = 0; i < out.length && i < values.size(); i++) {
                KeyValue<String, byte[]> kv = values.get(i);
                out[i] = kv.hasValue() ? CachedVector.fromBytes(kv.getValue()) : null;
            }
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CachedVector[keys.size()];
        } catch (Exception e) {
            failed(e);
            return new CachedVector[keys.size()];
        }
    }

    @Override
    public void putAll(List<String> keys, List<CachedVector> values, long ttlSeconds) {
        Commands c = commands;
        if (c == null || down.get()) {
            return;
        }
        try {
            for (int i = 0; i < keys.size(); i++) {
                c.strings().setex(keys.get(i), ttlSeconds, values.get(i).toBytes()).whenComplete((ok, t) -> {
                    if (t != null) {
                        failed(t);
                    }
                });
            }
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    /** Counts a failure; the first of an outage logs the WARN, switches the store off and starts the probe. */
    private void failed(Throwable t) {
        errors.increment();
        if (closed || !down.compareAndSet(false, true)) {
            return;
        }
        outages.increment();
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String reason = root.getMessage() != null ? UpstreamErrors.sanitize(root.getMessage(), null) : "no answer";
        LOG.warn("Redis cache at {} is unavailable ({}): serving every request without the cache until it "
                + "answers again", settings.where(), reason);
        scheduleProbe();
    }

    private void scheduleProbe() {
        if (closed || !probing.compareAndSet(false, true)) {
            return;
        }
        probe.schedule(this::runProbe, PROBE_MS, TimeUnit.MILLISECONDS);
    }

    private void runProbe() {
        probing.set(false);
        if (closed) {
            return;
        }
        Commands c = commands;
        CompletionStage<?> check = c == null ? connect() : c.base().ping();
        check.toCompletableFuture().orTimeout(Math.max(settings.timeoutMs(), 1000), TimeUnit.MILLISECONDS)
                .whenComplete((ok, t) -> {
                    if (t == null && !closed) {
                        down.set(false);
                        LOG.info("Redis cache at {} is back", settings.where());
                    } else {
                        scheduleProbe();
                    }
                });
    }

    @Override
    public String type() {
        return "redis";
    }

    @Override
    public long errors() {
        return errors.sum();
    }

    @Override
    public long outages() {
        return outages.sum();
    }

    @Override
    public boolean available() {
        return commands != null && !down.get();
    }

    @Override
    public void close() {
        closed = true;
        probe.shutdownNow();
        Commands c = commands;
        if (c != null) {
            c.connection().close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        resources.shutdown(0, 2, TimeUnit.SECONDS);
    }
}
