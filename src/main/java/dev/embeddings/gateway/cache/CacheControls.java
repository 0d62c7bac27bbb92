package dev.embeddings.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.GatewayException;

import java.util.Locale;

/**
 * What one request allows the cache to do, from the body's {@code cache} object (LiteLLM's dynamic cache controls)
 * and the {@code Cache-Control} request header:
 * <ul>
 *   <li>{@code {"no-cache": true}} or {@code Cache-Control: no-cache}: do not read the cache (every input goes
 *       upstream); the fresh vectors are still stored</li>
 *   <li>{@code {"no-store": true}} or {@code Cache-Control: no-store}: do not store this request's vectors</li>
 *   <li>{@code {"ttl": seconds}}: store this request's vectors for that long instead of {@code cache_params.ttl}</li>
 * </ul>
 * Other keys of {@code cache} (LiteLLM's {@code s-maxage}, {@code namespace}) are accepted and ignored.
 *
 * @param ttlSeconds null for the configured TTL
 */
public record CacheControls(boolean noCache, boolean noStore, Long ttlSeconds) {

    public static final CacheControls NONE = new CacheControls(false, false, null);

    /**
     * Reads the controls; either argument may be null. Throws GatewayException 400 (param {@code cache}) when
     * {@code cache} is not an object, a flag is not a boolean, or {@code ttl} is not a positive number.
     */
    public static CacheControls of(JsonNode cache, String cacheControlHeader) {
        boolean noCache = false;
        boolean noStore = false;
        Long ttl = null;
        if (cacheControlHeader != null) {
            for (String d : cacheControlHeader.split(",")) {
                String directive = d.trim().toLowerCase(Locale.ROOT);
                noCache |= directive.equals("no-cache");
                noStore |= directive.equals("no-store");
            }
        }
        if (cache != null && !cache.isNull()) {
            if (!cache.isObject()) {
                throw GatewayException.invalid("cache", "cache must be an object such as {\"no-cache\": true}, "
                        + "{\"no-store\": true} or {\"ttl\": 600}.");
            }
            noCache |= flag(cache, "no-cache");
            noStore |= flag(cache, "no-store");
            JsonNode t = cache.get("ttl");
            if (t != null && !t.isNull()) {
                if (!t.isNumber() || t.asDouble() <= 0 || t.asDouble() > Integer.MAX_VALUE) {
                    throw GatewayException.invalid("cache", "cache.ttl must be a positive number of seconds.");
                }
                ttl = (long) Math.ceil(t.asDouble());
            }
        }
        return noCache || noStore || ttl != null ? new CacheControls(noCache, noStore, ttl) : NONE;
    }

    private static boolean flag(JsonNode cache, String name) {
        JsonNode v = cache.get(name);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw GatewayException.invalid("cache", "cache." + name + " must be true or false.");
        }
        return v.booleanValue();
    }
}
