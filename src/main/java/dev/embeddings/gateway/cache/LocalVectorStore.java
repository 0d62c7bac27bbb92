package dev.embeddings.gateway.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;

import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The in-process store ({@code cache_params.type: local}): a Caffeine cache bounded by entries
 * ({@code max_size}) or by bytes of vectors ({@code max_size_bytes}), each entry expiring after its own TTL. Lost on
 * restart and not shared between replicas.
 */
public final class LocalVectorStore implements VectorStore {

    private record Entry(CachedVector value, long ttlNanos) {
    }

    private final Cache<String, Entry> cache;

    /** {@code maxEntries} > 0 bounds the number of entries, else {@code maxBytes} bounds their approximate size. */
    public LocalVectorStore(long maxEntries, long maxBytes) {
        Caffeine<Object, Object> b = Caffeine.newBuilder();
        Caffeine<String, Entry> typed;
        if (maxEntries > 0) {
            typed = b.maximumSize(maxEntries).expireAfter(expiry());
        } else {
            typed = b.maximumWeight(maxBytes).<String, Entry>weigher((k, e) -> e.value().weight() + 2 * k.length())
                    .expireAfter(expiry());
        }
        cache = typed.build();
    }

    private static Expiry<String, Entry> expiry() {
        return new Expiry<>() {
            @Override
            public long expireAfterCreate(String key, Entry e, long now) {
                return e.ttlNanos();
            }

            @Override
            public long expireAfterUpdate(String key, Entry e, long now, long current) {
                return e.ttlNanos();
            }

            @Override
            public long expireAfterRead(String key, Entry e, long now, long current) {
                return current;
            }
        };
    }

    @Override
    public CachedVector[] getAll(List<String> keys) {
        CachedVector[] out = new CachedVector[keys.size()];
        for (int i = 0; i < out.length; i++) {
            Entry e = cache.getIfPresent(keys.get(i));
            out[i] = e == null ? null : e.value();
        }
        return out;
    }

    @Override
    public void putAll(List<String> keys, List<CachedVector> values, long ttlSeconds) {
        long ttl = TimeUnit.SECONDS.toNanos(ttlSeconds);
        for (int i = 0; i < keys.size(); i++) {
            cache.put(keys.get(i), new Entry(values.get(i), ttl));
        }
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public long errors() {
        return 0;
    }

    @Override
    public boolean available() {
        return true;
    }

    /** Entries held now (approximate, for tests and diagnostics). */
    public long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    @Override
    public void close() {
        cache.invalidateAll();
    }
}
