package dev.embeddings.gateway.keys;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Principal;
import dev.embeddings.gateway.security.VirtualKeyVerifier;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Verifies presented virtual keys without blocking the Vert.x event loop: an in-process cache (Caffeine) of
 * verified keys by hash answers at once; a miss is looked up in the {@link KeyStore} on the {@code executor}, and the
 * request waits (paused by RequestAdmission) until it completes.
 *
 * <ul>
 *   <li>An entry is refreshed from the store in the background when it is used and older than {@code refresh}
 *       (default 5 s): a key blocked, changed or deleted on another replica stops working here within that time
 *       (plus the one request that triggers the refresh). Changes made through this instance's key API apply at
 *       once ({@link #invalidate}).</li>
 *   <li>Database outage: a failed refresh keeps the last verified entry, so known keys keep working for up to
 *       {@code ttl} (default 300 s) after the store last confirmed them; past that, and for keys not in the cache,
 *       the request gets 503 {@code key_store_unavailable} with {@code Retry-After} (never a 401, which would tell a
 *       client its key is wrong).</li>
 *   <li>Unknown keys are cached too (as unknown, for {@code refresh}), so a flood of made-up keys costs the
 *       database one query per key and refresh period; at most {@code maxEntries} entries, evicted after
 *       {@code ttl} unused.</li>
 * </ul>
 * Presented keys are hashed at once (SHA-256); the plaintext is never stored, logged or passed on. The stored hash
 * and the presented key's hash are compared in constant time.
 */
public final class KeyVerifier implements VirtualKeyVerifier {

    /** A store answer: the key, or null when it does not exist; and when the store gave it. */
    record Verified(KeyRecord key, long verifiedAtNanos) {
    }

    private final AsyncLoadingCache<String, Verified> cache;
    private final long ttlNanos;

    public KeyVerifier(KeyStore store, Executor executor, Duration refresh, Duration ttl, long maxEntries) {
        this.ttlNanos = ttl.toNanos();
        AsyncCacheLoader<String, Verified> loader = new AsyncCacheLoader<>() {
            @Override
            public CompletableFuture<Verified> asyncLoad(String hash, Executor e) {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return new Verified(store.byToken(hash).orElse(null), System.nanoTime());
                    } catch (KeyStore.Unavailable down) {
                        // null: nothing cached, and verify() answers 503 (a failed future would be logged by
                        // Caffeine outside the gateway's redacting logger)
                        return null;
                    }
                }, e);
            }

            @Override
            public CompletableFuture<Verified> asyncReload(String hash, Verified old, Executor e) {
                return CompletableFuture.supplyAsync(() -> {
                    try {
                        return new Verified(store.byToken(hash).orElse(null), System.nanoTime());
                    } catch (KeyStore.Unavailable down) {
                        // keep serving what the store last said; verify() enforces the ttl
                        return old;
                    }
                }, e);
            }
        };
        this.cache = Caffeine.newBuilder()
                .executor(executor)
                .maximumSize(maxEntries)
                .refreshAfterWrite(refresh)
                .expireAfterAccess(ttl)
                .buildAsync(loader);
    }

    @Override
    public CompletionStage<Principal> verify(String presentedKey) {
        if (presentedKey.length() > KeyText.MAX_LENGTH) {
            return CompletableFuture.failedFuture(GatewayException.unauthorized("Incorrect API key provided."));
        }
        return verifyHash(KeyText.hash(presentedKey));
    }

    @Override
    public CompletionStage<Principal> verifyHash(String hash) {
        CompletableFuture<Verified> f;
        try {
            f = cache.get(hash);
            Verified known = f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
            if (known != null && System.nanoTime() - known.verifiedAtNanos() > ttlNanos) {
                // not confirmed by the store for longer than the ttl (it has been down): ask it now
                cache.synchronous().invalidate(hash);
                f = cache.get(hash);
            }
        } catch (RuntimeException busy) {
            // the lookup pool's queue is full (a flood of unknown keys): shed, never fail on the event loop
            return CompletableFuture.failedFuture(unavailable());
        }
        return f.handle((v, failure) -> {
            if (failure != null || v == null) {
                throw new CompletionException(unavailable());
            }
            return principal(v, hash);
        });
    }

    private static Principal principal(Verified v, String hash) {
        KeyRecord key = v.key();
        if (key == null || !KeyText.sameHash(key.token(), hash)) {
            throw new CompletionException(GatewayException.unauthorized("Incorrect API key provided."));
        }
        GatewayException refused = KeyPolicy.usable(key, Instant.now());
        if (refused != null) {
            throw new CompletionException(refused);
        }
        return new Principal(Principal.Kind.VIRTUAL_KEY, hash, key);
    }

    private static GatewayException unavailable() {
        return new GatewayException(503, "api_error", null, "key_store_unavailable",
                "The key could not be verified: the key database is unavailable. Retry in a moment.", 5);
    }

    /** Forgets what the cache knows about this key (after a change through this instance's key API). */
    public void invalidate(String hash) {
        cache.synchronous().invalidate(hash);
    }

    /** Entries in the cache. */
    public long size() {
        return cache.synchronous().estimatedSize();
    }
}
