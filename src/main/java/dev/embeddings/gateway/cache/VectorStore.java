package dev.embeddings.gateway.cache;

import java.util.List;

/**
 * Where cached vectors live: in this process ({@link LocalVectorStore}, Caffeine) or shared by every replica
 * ({@link RedisVectorStore}, Lettuce), chosen by {@code cache_params.type}. Keys are opaque strings built by
 * {@link CacheKeys}; stores know nothing of requests, models or policy.
 *
 * <p>A store never fails a request: when it cannot answer (a Redis outage, a timeout) reads return misses and
 * writes are dropped, and the failure is counted in {@link #errors()}.
 */
public interface VectorStore extends AutoCloseable {

    /**
     * The entries of {@code keys}, in order, null where absent; at most the store's own bounded wait (Redis:
     * {@code cache_params.timeout}). All null when the store is unavailable.
     */
    CachedVector[] getAll(List<String> keys);

    /**
     * Stores {@code values[i]} under {@code keys.get(i)} for {@code ttlSeconds} (> 0). Returns at once: a remote
     * store writes in the background, and a failed write is only counted.
     */
    void putAll(List<String> keys, List<CachedVector> values, long ttlSeconds);

    /** {@code local} or {@code redis}. */
    String type();

    /** Failed reads and writes since start (each command that failed or timed out counts once). */
    long errors();

    /** Whether the store is serving now (false during a Redis outage). */
    boolean available();

    /** Outages since start, each logged as one WARN (0 for a store that cannot have one). */
    default long outages() {
        return 0;
    }

    @Override
    void close();
}
