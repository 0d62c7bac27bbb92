package dev.embeddings.gateway.cache;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.GatewayConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The cache's configuration, read from LiteLLM's keys: {@code litellm_settings.cache: true} turns it on and
 * {@code litellm_settings.cache_params} shapes it:
 * <ul>
 *   <li>{@code type}: {@code local} (in-process, Caffeine) or {@code redis} (Lettuce); default {@code redis} when
 *       {@code REDIS_URL} or {@code REDIS_HOST} is set, as in LiteLLM, else {@code local}</li>
 *   <li>{@code ttl} (seconds; else {@code default_in_memory_ttl} / {@code default_in_redis_ttl}; default 86400)</li>
 *   <li>{@code namespace}: key prefix (default {@value #DEFAULT_NAMESPACE})</li>
 *   <li>local: {@code max_size} (entries; alias {@code max_size_in_memory}) or {@code max_size_bytes}
 *       (default {@value #DEFAULT_MAX_BYTES} bytes of vectors)</li>
 *   <li>redis: {@code url} ({@code redis://} or {@code rediss://} for TLS; else {@code REDIS_URL}), or {@code host},
 *       {@code port}, {@code username}, {@code password}, {@code ssl} (else {@code REDIS_HOST}, {@code REDIS_PORT},
 *       {@code REDIS_USERNAME}, {@code REDIS_PASSWORD}, {@code REDIS_SSL}; default localhost:6379);
 *       {@code redis_startup_nodes: [{host, port}]} for Redis Cluster; {@code ssl_ca_certs} (PEM file of trusted
 *       CAs), {@code ssl_cert_reqs: none} (no certificate check); {@code socket_timeout} (seconds, the longest a
 *       request waits for Redis; default {@value #DEFAULT_TIMEOUT_MS} ms)</li>
 *   <li>{@code supported_call_types}: when set without {@code embedding}/{@code aembedding}, the cache is off</li>
 * </ul>
 * Throws ConfigException (one line, no secret) for a malformed value.
 */
public record CacheSettings(boolean enabled, String type, long ttlSeconds, String namespace, long maxEntries,
                            long maxBytes, Redis redis) {

    public static final String DEFAULT_NAMESPACE = "embeddings-gateway";
    public static final long DEFAULT_TTL_SECONDS = 86_400;
    public static final long DEFAULT_MAX_BYTES = 128L * 1024 * 1024;
    public static final long DEFAULT_TIMEOUT_MS = 200;

    /**
     * Where Redis is. {@code url} is set for a standalone server, {@code clusterNodes} ({@code host:port}) for
     * a cluster.
     */
    public record Redis(String url, List<String> clusterNodes, String username, String password, boolean ssl,
                        String caFile, boolean verifyPeer, long timeoutMs) {

        /** Host and port (or the cluster's first node) for log lines: never credentials. */
        public String where() {
            if (!clusterNodes.isEmpty()) {
                return "cluster " + String.join(",", clusterNodes);
            }
            String u = url;
            int at = u.lastIndexOf('@');
            int scheme = u.indexOf("://");
            return at >= 0 ? u.substring(0, scheme + 3) + u.substring(at + 1) : u;
        }

        @Override
        public String toString() {
            return "Redis[" + where() + "]";
        }
    }

    /** Off. */
    public static final CacheSettings OFF = new CacheSettings(false, "local", DEFAULT_TTL_SECONDS, DEFAULT_NAMESPACE,
            0, DEFAULT_MAX_BYTES, null);

    /** Reads the settings; {@code env} supplies the REDIS_* variables. */
    public static CacheSettings from(GatewayConfig config, Function<String, String> env) {
        Map<String, Object> l = config.litellmSettings();
        if (!bool(l.get("cache"), "litellm_settings.cache")) {
            return OFF;
        }
        Map<String, Object> p = mapping(l.get("cache_params"));
        Object calls = p.get("supported_call_types");
        if (calls instanceof List<?> list && list.stream().map(String::valueOf)
                .noneMatch(c -> c.equals("embedding") || c.equals("aembedding"))) {
            return OFF;
        }
        String type = p.get("type") != null ? p.get("type").toString().trim().toLowerCase(Locale.ROOT)
                : env.apply("REDIS_URL") != null || env.apply("REDIS_HOST") != null ? "redis" : "local";
        if (!type.equals("local") && !type.equals("redis")) {
            throw new ConfigException("cache_params.type '" + type + "' is not supported here (local, redis)");
        }
        Object ttl = p.get("ttl") != null ? p.get("ttl")
                : p.get(type.equals("local") ? "default_in_memory_ttl" : "default_in_redis_ttl");
        long ttlSeconds = ttl == null ? DEFAULT_TTL_SECONDS : (long) Math.ceil(positive(ttl, "cache_params.ttl"));
        String namespace = p.get("namespace") != null ? p.get("namespace").toString() : DEFAULT_NAMESPACE;
        Object size = p.get("max_size") != null ? p.get("max_size") : p.get("max_size_in_memory");
        long maxEntries = size == null ? 0 : (long) positive(size, "cache_params.max_size");
        long maxBytes = p.get("max_size_bytes") == null ? DEFAULT_MAX_BYTES
                : (long) positive(p.get("max_size_bytes"), "cache_params.max_size_bytes");
        Redis redis = type.equals("redis") ? redis(p, env) : null;
        return new CacheSettings(true, type, ttlSeconds, namespace, maxEntries, maxBytes, redis);
    }

    private static Redis redis(Map<String, Object> p, Function<String, String> env) {
        String username = str(p.get("username"), env.apply("REDIS_USERNAME"));
        String password = str(p.get("password"), env.apply("REDIS_PASSWORD"));
        boolean ssl = bool(p.get("ssl") != null ? p.get("ssl") : env.apply("REDIS_SSL"), "cache_params.ssl");
        String ca = str(p.get("ssl_ca_certs"), env.apply("REDIS_SSL_CA_CERTS"));
        String reqs = str(p.get("ssl_cert_reqs"), env.apply("REDIS_SSL_CERT_REQS"));
        boolean verify = reqs == null || !reqs.trim().equalsIgnoreCase("none");
        long timeoutMs = p.get("socket_timeout") == null ? DEFAULT_TIMEOUT_MS
                : Math.max(1, (long) (positive(p.get("socket_timeout"), "cache_params.socket_timeout") * 1000));
        List<String> nodes = new ArrayList<>();
        if (p.get("redis_startup_nodes") != null) {
            if (!(p.get("redis_startup_nodes") instanceof List<?> list) || list.isEmpty()) {
                throw new ConfigException("cache_params.redis_startup_nodes must be a list of {host, port}");
            }
            for (Object n : list) {
                if (!(n instanceof Map<?, ?> m) || m.get("host") == null) {
                    throw new ConfigException("cache_params.redis_startup_nodes must be a list of {host, port}");
                }
                nodes.add(m.get("host") + ":" + port(m.get("port")));
            }
            return new Redis(null, List.copyOf(nodes), username, password, ssl, ca, verify, timeoutMs);
        }
        String url = str(p.get("url"), str(p.get("redis_url"), env.apply("REDIS_URL")));
        if (url == null) {
            String host = str(p.get("host"), str(env.apply("REDIS_HOST"), "localhost"));
            int port = port(p.get("port") != null ? p.get("port") : env.apply("REDIS_PORT"));
            url = (ssl ? "rediss://" : "redis://") + host + ":" + port;
        } else if (!url.startsWith("redis://") && !url.startsWith("rediss://")) {
            throw new ConfigException("cache_params.url must start with redis:// or rediss://");
        }
        return new Redis(url, List.of(), username, password, ssl || url.startsWith("rediss://"), ca, verify,
                timeoutMs);
    }

    private static int port(Object v) {
        if (v == null) {
            return 6379;
        }
        try {
            int port = Integer.parseInt(v.toString().trim());
            if (port > 0 && port < 65536) {
                return port;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ConfigException("cache_params.port must be a port number");
    }

    private static String str(Object v, String dflt) {
        return v == null || v.toString().isBlank() ? dflt : v.toString();
    }

    private static boolean bool(Object v, String where) {
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return s.equals("true");
        }
        throw new ConfigException(where + " must be true or false");
    }

    private static double positive(Object v, String where) {
        try {
            double d = Double.parseDouble(v.toString().trim());
            if (d > 0) {
                return d;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ConfigException(where + " must be a positive number");
    }

    private static Map<String, Object> mapping(Object v) {
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException("litellm_settings.cache_params must be a mapping");
        }
        java.util.LinkedHashMap<String, Object> out = new java.util.LinkedHashMap<>();
        m.forEach((k, val) -> out.put(String.valueOf(k), val));
        return out;
    }
}
