package dev.embeddings.gateway.keys;

import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link RateCounters} in this process: one small window object per key, replaced when its minute is over. Holds
 * for one gateway instance only; the fallback of {@link RedisRateCounters} while Redis is unreachable.
 */
public final class LocalRateCounters implements RateCounters {

    private static final class Window {
        long id;
        long requests;
        long tokens;
    }

    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    @Override
    public KeyPolicy.RateDecision acquire(String keyId, long windowId, Long rpmLimit, Long tpmLimit, long tokens) {
        Window w = windows.computeIfAbsent(keyId, k -> new Window());
        synchronized (w) {
            if (w.id != windowId) {
                w.id = windowId;
                w.requests = 0;
                w.tokens = 0;
            }
            KeyPolicy.RateDecision d = KeyPolicy.rate(w.requests, w.tokens, rpmLimit, tpmLimit, tokens);
            if (d.allowed()) {
                w.requests++;
                w.tokens += tokens;
            }
            return d;
        }
    }

    @Override
    public void adjustTokens(String keyId, long windowId, long delta) {
        Window w = windows.get(keyId);
        if (w == null) {
            return;
        }
        synchronized (w) {
            if (w.id == windowId) {
                w.tokens = Math.max(0, w.tokens + delta);
            }
        }
    }

    /** Forgets a deleted key's counters. */
    public void forget(String keyId) {
        windows.remove(keyId);
    }

    @Override
    public String kind() {
        return "memory";
    }
}
