package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.ModelRegistry;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Keeps batch work to spare capacity, per model group (the {@code model} the lines ask for):
 * <ul>
 *   <li><b>rpm / tpm share</b>: when every deployment of the group has an {@code rpm} (or {@code tpm}), batch calls
 *       take at most {@code (1 - interactiveShare)} of their sum, spread evenly (resilience4j RateLimiters: one call
 *       per {@code 60 s / batch rpm}; tokens per second for tpm, estimated before the call and corrected after it);
 *       the rest stays for interactive requests, which the router serves first-come within the deployments' own
 *       limits.</li>
 *   <li><b>Back-off on 429</b>: a 429 from the core (after the router's own retries) pauses every batch call of the
 *       group for the answer's {@code Retry-After} (else 1 s doubling per consecutive 429, at most
 *       {@code maxBackoffMs}, with jitter) and halves the group's batch concurrency; each success lets it grow by
 *       one again, up to {@code gateway.batch.workers} (additive increase, multiplicative decrease).</li>
 * </ul>
 * Limits apply per gateway process, as the router's own rpm limits do.
 */
public final class BatchThrottle {

    private final ModelRegistry registry;
    private final double batchShare;
    private final int maxConcurrency;
    private final long maxBackoffMs;
    private final ConcurrentHashMap<String, Group> groups = new ConcurrentHashMap<>();

    public BatchThrottle(ModelRegistry registry, double interactiveShare, int maxConcurrency, long maxBackoffMs) {
        this.registry = registry;
        this.batchShare = 1 - interactiveShare;
        this.maxConcurrency = maxConcurrency;
        this.maxBackoffMs = maxBackoffMs;
    }

    /** The live state of one model group, as far as batch work is concerned. */
    final class Group {
        final RateLimiter calls;
        final RateLimiter tokens;
        final int tokensPerSecond;
        int limit = maxConcurrency;
        int inFlight;
        int successes;
        int consecutive429;
        long pausedUntilMs;

        Group(String model) {
            List<Deployment> ds = registry.group(model);
            Double rpm = sum(ds, "rpm");
            Double tpm = sum(ds, "tpm");
            if (rpm != null) {
                double perMinute = Math.max(1, rpm * batchShare);
                calls = RateLimiter.of("batch-rpm-" + model, RateLimiterConfig.custom()
                        .limitForPeriod(1)
                        .limitRefreshPeriod(Duration.ofNanos((long) (60e9 / perMinute)))
                        .timeoutDuration(Duration.ofDays(1))
                        .build());
            } else {
                calls = null;
            }
            if (tpm != null) {
                tokensPerSecond = (int) Math.max(1, tpm * batchShare / 60);
                tokens = RateLimiter.of("batch-tpm-" + model, RateLimiterConfig.custom()
                        .limitForPeriod(tokensPerSecond)
                        .limitRefreshPeriod(Duration.ofSeconds(1))
                        .timeoutDuration(Duration.ofDays(1))
                        .build());
            } else {
                tokens = null;
                tokensPerSecond = 0;
            }
        }
    }

    /** The sum of {@code key} over the deployments, or null when one of them has none. */
    private static Double sum(List<Deployment> ds, String key) {
        if (ds.isEmpty()) {
            return null;
        }
        double s = 0;
        for (Deployment d : ds) {
            Double v = d.number(key);
            if (v == null || v <= 0) {
                return null;
            }
            s += v;
        }
        return s;
    }

    Group group(String model) {
        return groups.computeIfAbsent(model, Group::new);
    }

    /**
     * Blocks until a batch call of {@code model} carrying about {@code estimatedTokens} may start: the group is not
     * paused, its concurrency has room, and its rpm/tpm share allows it. Pair with one {@link #release}.
     */
    public void acquire(String model, int estimatedTokens) throws InterruptedException {
        Group g = group(model);
        synchronized (g) {
            while (true) {
                long wait = g.pausedUntilMs - System.currentTimeMillis();
                if (wait > 0) {
                    g.wait(wait);
                } else if (g.inFlight >= g.limit) {
                    g.wait(1000);
                } else {
                    break;
                }
            }
            g.inFlight++;
        }
        try {
            long nanos = 0;
            if (g.calls != null) {
                nanos = Math.max(nanos, g.calls.reservePermission());
            }
            if (g.tokens != null) {
                nanos = Math.max(nanos, reserveTokens(g, estimatedTokens));
            }
            if (nanos > 0) {
                TimeUnit.NANOSECONDS.sleep(nanos);
            }
        } catch (InterruptedException e) {
            release(model, Outcome.OTHER, null, 0);
            throw e;
        }
    }

    /** Reserves {@code n} tokens, one second's worth at a time; returns the nanoseconds to wait for the last one. */
    private static long reserveTokens(Group g, long n) {
        long wait = 0;
        while (n > 0) {
            int take = (int) Math.min(n, g.tokensPerSecond);
            wait = Math.max(wait, g.tokens.reservePermission(take));
            n -= take;
        }
        return wait;
    }

    /** How a batch call ended. */
    public enum Outcome { OK, RATE_LIMITED, OTHER }

    /**
     * Ends a call started with {@link #acquire}: {@code retryAfterSeconds} is the 429's Retry-After (or null);
     * {@code extraTokens} tokens the call used beyond its estimate (charged to the tpm share).
     */
    public void release(String model, Outcome outcome, Integer retryAfterSeconds, long extraTokens) {
        Group g = group(model);
        if (extraTokens > 0 && g.tokens != null) {
            reserveTokens(g, extraTokens);
        }
        synchronized (g) {
            g.inFlight--;
            if (outcome == Outcome.OK) {
                g.consecutive429 = 0;
                if (++g.successes >= g.limit) {
                    g.successes = 0;
                    g.limit = Math.min(maxConcurrency, g.limit + 1);
                }
            } else if (outcome == Outcome.RATE_LIMITED) {
                g.successes = 0;
                g.limit = Math.max(1, g.limit / 2);
                long pause;
                if (retryAfterSeconds != null && retryAfterSeconds > 0) {
                    pause = Math.min(maxBackoffMs, retryAfterSeconds * 1000L);
                } else {
                    pause = backoffMs(g.consecutive429);
                }
                g.consecutive429++;
                g.pausedUntilMs = Math.max(g.pausedUntilMs, System.currentTimeMillis() + pause);
            }
            g.notifyAll();
        }
    }

    /** 1 s doubling per consecutive 429, ±25 % jitter, at most {@code maxBackoffMs}. */
    long backoffMs(int consecutive) {
        long base = Math.min(maxBackoffMs, 1000L << Math.min(consecutive, 16));
        return (long) (base * (0.75 + ThreadLocalRandom.current().nextDouble() * 0.5));
    }

    /** Batch calls of {@code model} now allowed at once (for tests and the log). */
    public int concurrency(String model) {
        Group g = group(model);
        synchronized (g) {
            return g.limit;
        }
    }

    /** Milliseconds batch calls of {@code model} are still paused for (0 when not). */
    public long pausedMs(String model) {
        Group g = group(model);
        synchronized (g) {
            return Math.max(0, g.pausedUntilMs - System.currentTimeMillis());
        }
    }
}
