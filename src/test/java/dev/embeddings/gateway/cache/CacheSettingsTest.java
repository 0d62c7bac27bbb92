package dev.embeddings.gateway.cache;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LiteLLM's cache keys and REDIS_* variables read into CacheSettings; the stored entry format. */
class CacheSettingsTest {

    private static CacheSettings settings(String litellmSettings, Map<String, String> env) {
        GatewayConfig c = new ConfigLoader(env::get).parse("litellm_settings:\n" + litellmSettings, "test");
        return CacheSettings.from(c, env::get);
    }

    @Test
    void offUnlessCacheIsTrueAndOnlyForEmbeddings() {
        assertFalse(settings("  num_retries: 1\n", Map.of()).enabled());
        assertFalse(settings("  cache: false\n", Map.of()).enabled());
        assertFalse(settings("  cache: true\n  cache_params: {supported_call_types: [acompletion]}\n", Map.of())
                .enabled());
        CacheSettings local = settings("  cache: true\n  cache_params: {supported_call_types: [aembedding]}\n",
                Map.of());
        assertTrue(local.enabled());
        assertEquals("local", local.type());
        assertEquals(CacheSettings.DEFAULT_TTL_SECONDS, local.ttlSeconds());
        assertEquals(CacheSettings.DEFAULT_MAX_BYTES, local.maxBytes());
        assertEquals("embeddings-gateway", local.namespace());
    }

    @Test
    void redisFromTheEnvironmentLikeLiteLlm() {
        CacheSettings s = settings("  cache: true\n", Map.of("REDIS_HOST", "cache.internal", "REDIS_PORT", "6380",
                "REDIS_PASSWORD", "pw-from-env"));
        assertEquals("redis", s.type());
        assertEquals("redis://cache.internal:6380", s.redis().url());
        assertEquals("pw-from-env", s.redis().password());
        assertFalse(s.redis().toString().contains("pw-from-env"));
        assertEquals(CacheSettings.DEFAULT_TIMEOUT_MS, s.redis().timeoutMs());

        CacheSettings params = settings("""
                  cache: true
                  cache_params: {type: redis, host: h, port: 7000, ssl: true, ttl: 60, default_in_redis_ttl: 5,
                                 socket_timeout: 0.05, namespace: ns}
                """, Map.of("REDIS_HOST", "ignored"));
        assertEquals("rediss://h:7000", params.redis().url());
        assertTrue(params.redis().ssl());
        assertEquals(60, params.ttlSeconds());
        assertEquals(50, params.redis().timeoutMs());
        assertEquals("ns", params.namespace());

        CacheSettings url = settings("  cache: true\n  cache_params: {type: redis, url: \"redis://u:secret-pw@h:1/2\"}\n",
                Map.of());
        assertEquals("redis://h:1/2", url.redis().where());
        CacheSettings cluster = settings("""
                  cache: true
                  cache_params: {type: redis, redis_startup_nodes: [{host: a, port: 7001}, {host: b, port: "7002"}]}
                """, Map.of());
        assertEquals(List.of("a:7001", "b:7002"), cluster.redis().clusterNodes());
        assertNull(cluster.redis().url());
    }

    @Test
    void malformedValuesStopStartUp() {
        assertEquals("cache_params.type 's3' is not supported here (local, redis)", assertThrows(ConfigException.class,
                () -> settings("  cache: true\n  cache_params: {type: s3}\n", Map.of())).getMessage());
        assertEquals("cache_params.ttl must be a positive number", assertThrows(ConfigException.class,
                () -> settings("  cache: true\n  cache_params: {ttl: 0}\n", Map.of())).getMessage());
        assertEquals("cache_params.port must be a port number", assertThrows(ConfigException.class,
                () -> settings("  cache: true\n  cache_params: {type: redis, port: 99999}\n", Map.of())).getMessage());
        assertThrows(ConfigException.class, () -> settings("  cache: maybe\n", Map.of()));
    }

    @Test
    void anEntryIsTheTokenCountThenFloat32LittleEndian() {
        float[] v = {0.1f, -2.5f, Float.MIN_VALUE, 3.4028235e38f};
        byte[] b = new CachedVector(v, 17).toBytes();
        assertEquals(4 + 4 * v.length, b.length);
        ByteBuffer le = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(17, le.getInt());
        assertEquals(-2.5f, le.getFloat(8));
        CachedVector back = CachedVector.fromBytes(b);
        assertArrayEquals(v, back.vector());
        assertEquals(17, back.promptTokens());
        assertNull(CachedVector.fromBytes(new byte[]{1, 2, 3}));
        assertNull(CachedVector.fromBytes(null));
    }
}
