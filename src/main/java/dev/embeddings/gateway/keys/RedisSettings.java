package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.security.Redactor;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The Redis server shared by replicas for rate counters, named as LiteLLM names it, first found wins:
 * <ol>
 *   <li>{@code router_settings.redis_url}, or {@code router_settings.redis_host} / {@code redis_port} /
 *       {@code redis_password} (what LiteLLM's router uses for rpm/tpm across instances);</li>
 *   <li>{@code litellm_settings.cache_params} with {@code type: redis}: its {@code url}, or {@code host} /
 *       {@code port} / {@code password}, else the {@code REDIS_URL}, or {@code REDIS_HOST} / {@code REDIS_PORT} /
 *       {@code REDIS_PASSWORD} environment variables.</li>
 * </ol>
 * None of these: the counters stay in-process. The password is registered with the {@link Redactor}.
 *
 * @param url Redis URI ({@code redis://[:password@]host:port[/db]}, {@code rediss://} for TLS)
 */
public record RedisSettings(String url) {

    /** The settings from config, or null when rate counters stay in-process. */
    public static RedisSettings from(GatewayConfig config, Function<String, String> env) {
        Map<String, Object> router = config.routerSettings();
        String url = string(router.get("redis_url"));
        String host = string(router.get("redis_host"));
        if (url != null || host != null) {
            return of(url, host, string(router.get("redis_port")), string(router.get("redis_password")));
        }
        Object cp = config.litellmSettings().get("cache_params");
        if (cp instanceof Map<?, ?> params && "redis".equalsIgnoreCase(String.valueOf(params.get("type")))) {
            url = string(params.get("url"));
            host = string(params.get("host"));
            if (url == null && host == null) {
                url = env.apply("REDIS_URL");
                host = env.apply("REDIS_HOST");
                if (url == null && host == null) {
                    throw new ConfigException("cache_params.type is redis but no host is set (cache_params.host, "
                            + "or REDIS_HOST / REDIS_URL)");
                }
                return of(url, host, env.apply("REDIS_PORT"), env.apply("REDIS_PASSWORD"));
            }
            return of(url, host, string(params.get("port")), string(params.get("password")));
        }
        return null;
    }

    private static RedisSettings of(String url, String host, String port, String password) {
        if (url != null) {
            String l = url.toLowerCase(Locale.ROOT);
            if (!l.startsWith("redis://") && !l.startsWith("rediss://")) {
                throw new ConfigException("redis_url must start with redis:// or rediss://");
            }
            Redactor.addUrlSecrets(url);
            return new RedisSettings(url);
        }
        int p;
        try {
            p = port == null ? 6379 : Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("redis_port must be a number");
        }
        StringBuilder u = new StringBuilder("redis://");
        if (password != null && !password.isEmpty()) {
            Redactor.addSecret(password);
            u.append(':').append(java.net.URLEncoder.encode(password, java.nio.charset.StandardCharsets.UTF_8))
                    .append('@');
        }
        u.append(host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host).append(':').append(p);
        return new RedisSettings(u.toString());
    }

    private static String string(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString().strip();
    }

    /** Host and port only, for logs. */
    public String describe() {
        return Redactor.redact(url);
    }

    @Override
    public String toString() {
        return "RedisSettings[" + describe() + "]";
    }
}
