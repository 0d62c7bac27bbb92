package dev.embeddings.gateway.keys;

/**
 * Per-key request and token counters for {@code rpm_limit} / {@code tpm_limit}, in fixed one-minute windows aligned
 * to the epoch minute (window id = epoch milliseconds / 60,000), so replicas share windows. One interface, two
 * stores: in-process ({@link LocalRateCounters}, the default) and Redis ({@link RedisRateCounters}, with
 * {@code cache_params.type: redis} or {@code router_settings.redis_host}), chosen by config; callers never know which.
 */
public interface RateCounters extends AutoCloseable {

    /** Milliseconds in a window. */
    long WINDOW_MS = 60_000;

    /**
     * Atomically applies {@link KeyPolicy#rate} to the key's current window and, when allowed, counts one request
     * and {@code tokens} in it; counts nothing when refused.
     *
     * @param keyId    the key's public {@code token_id}
     * @param windowId the window (epoch ms / {@link #WINDOW_MS})
     */
    KeyPolicy.RateDecision acquire(String keyId, long windowId, Long rpmLimit, Long tpmLimit, long tokens);

    /** Adds {@code delta} (may be negative) to the tokens of the key's window {@code windowId}, if it is still kept. */
    void adjustTokens(String keyId, long windowId, long delta);

    /** {@code memory} or {@code redis}. */
    String kind();

    @Override
    default void close() {
    }
}
