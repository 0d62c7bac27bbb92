package dev.embeddings.gateway.keys;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@link RateCounters} in Redis (Lettuce), so that every replica counts against the same limits: one hash per key
 * and window, {@code gw:rl:{<token_id>}:<window>} with fields {@code r} (requests) and {@code t} (tokens), expiring
 * two minutes after its window starts. Check-and-count is one Lua script, so concurrent requests on any replica are
 * counted exactly once and never past a limit (the script applies {@link KeyPolicy#rate}'s rule).
 *
 * <p>Redis unreachable (a command times out after {@code timeoutMs}): the call falls back to the in-process
 * counters, so limits hold per instance until Redis answers again (logged once per outage). Keys in Redis carry
 * only the public {@code token_id}, never a key or its hash.
 */
public final class RedisRateCounters implements RateCounters {

    private static final Logger LOG = LoggerFactory.getLogger(RedisRateCounters.class);

    /** KEYS[1] = window hash; ARGV = rpm (-1 = none), tpm (-1 = none), tokens, ttl seconds. */
    static final String ACQUIRE = """
            local r = tonumber(redis.call('HGET', KEYS[1], 'r') or '0')
            local t = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
            local rpm = tonumber(ARGV[1])
            local tpm = tonumber(ARGV[2])
            local n = tonumber(ARGV[3])
            if rpm >= 0 and r + 1 > rpm then return {1, r, t} end
            if tpm >= 0 and t + n > tpm then return {2, r, t} end
            redis.call('HINCRBY', KEYS[1], 'r', 1)
            redis.call('HINCRBY', KEYS[1], 't', n)
            redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
            return {0, r + 1, t + n}
            """;
    static final String ADJUST = """
            if redis.call('EXISTS', KEYS[1]) == 1 then
              local t = redis.call('HINCRBY', KEYS[1], 't', ARGV[1])
              if t < 0 then redis.call('HSET', KEYS[1], 't', 0) end
            end
            return 0
            """;

    private final RedisClient client;
    private final String where;
    private volatile StatefulRedisConnection<String, String> connection;
    private volatile long nextConnectNanos;
    private final LocalRateCounters fallback = new LocalRateCounters();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean down;

    /**
     * Counters in the Redis of {@code settings}. A Redis that cannot be reached at start does not stop the gateway:
     * limits are counted per instance (one WARN) and a connection is tried again at most once a second until it
     * answers; after that, Lettuce reconnects by itself.
     */
    public RedisRateCounters(RedisSettings settings, long timeoutMs) {
        RedisURI uri = RedisURI.create(settings.url());
        uri.setTimeout(Duration.ofMillis(timeoutMs));
        this.where = settings.describe();
        this.client = RedisClient.create(uri);
        this.client.setOptions(io.lettuce.core.ClientOptions.builder()
                .disconnectedBehavior(io.lettuce.core.ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .build());
        try {
            this.connection = client.connect();
            LOG.info("rate limits (rpm_limit, tpm_limit) counted in Redis {}", where);
        } catch (RuntimeException e) {
            down(e);
            nextConnectNanos = System.nanoTime() + 1_000_000_000L;
        }
    }

    /** The connection, connecting first when start-up could not (at most one attempt a second); null while down. */
    private StatefulRedisConnection<String, String> connection() {
        StatefulRedisConnection<String, String> c = connection;
        if (c != null || System.nanoTime() < nextConnectNanos) {
            return c;
        }
        synchronized (this) {
            if (connection == null && System.nanoTime() >= nextConnectNanos) {
                nextConnectNanos = System.nanoTime() + 1_000_000_000L;
                try {
                    connection = client.connect();
                } catch (RuntimeException e) {
                    down(e);
                }
            }
            return connection;
        }
    }

    static String key(String keyId, long windowId) {
        return "gw:rl:{" + keyId + "}:" + windowId;
    }

    @Override
    public KeyPolicy.RateDecision acquire(String keyId, long windowId, Long rpmLimit, Long tpmLimit, long tokens) {
        try {
            StatefulRedisConnection<String, String> conn = connection();
            if (conn == null) {
                return fallback.acquire(keyId, windowId, rpmLimit, tpmLimit, tokens);
            }
            RedisCommands<String, String> c = conn.sync();
            List<Long> out = c.eval(ACQUIRE, ScriptOutputType.MULTI, new String[]{key(keyId, windowId)},
                    String.valueOf(rpmLimit == null ? -1 : rpmLimit), String.valueOf(tpmLimit == null ? -1 : tpmLimit),
                    String.valueOf(tokens), "120");
            up();
            long verdict = out.get(0);
            if (verdict == 0) {
                return KeyPolicy.RateDecision.ALLOWED;
            }
            // the script refused: the pure rule names the limit and what was left
            return KeyPolicy.rate(out.get(1), out.get(2), rpmLimit, tpmLimit, tokens);
        } catch (RuntimeException e) {
            down(e);
            return fallback.acquire(keyId, windowId, rpmLimit, tpmLimit, tokens);
        }
    }

    @Override
    public void adjustTokens(String keyId, long windowId, long delta) {
        if (delta == 0) {
            return;
        }
        try {
            StatefulRedisConnection<String, String> conn = connection();
            if (conn == null) {
                fallback.adjustTokens(keyId, windowId, delta);
                return;
            }
            conn.sync().eval(ADJUST, ScriptOutputType.INTEGER, new String[]{key(keyId, windowId)},
                    String.valueOf(delta));
            up();
        } catch (RuntimeException e) {
            down(e);
            fallback.adjustTokens(keyId, windowId, delta);
        }
    }

    private void up() {
        if (down) {
            down = false;
            LOG.info("Redis {} reachable again: rate limits are shared by the replicas again", where);
        }
    }

    private void down(RuntimeException e) {
        failures.incrementAndGet();
        if (!down) {
            down = true;
            LOG.warn("Redis {} unreachable ({}): rate limits are counted per instance until it answers", where,
                    dev.embeddings.gateway.security.Redactor.redact(String.valueOf(e.getMessage())));
        }
    }

    /** Calls that fell back to in-process counters because Redis failed. */
    public long failures() {
        return failures.get();
    }

    @Override
    public String kind() {
        return "redis";
    }

    @Override
    public void close() {
        StatefulRedisConnection<String, String> c = connection;
        if (c != null) {
            c.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
