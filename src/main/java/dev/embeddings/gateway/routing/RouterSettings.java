package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.GatewayConfig;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The LiteLLM router keys this gateway implements, read from {@code router_settings} (first) or
 * {@code litellm_settings}:
 * <ul>
 *   <li>{@code routing_strategy}: {@code simple-shuffle} (default), {@code least-busy}, {@code latency-based-routing}</li>
 *   <li>{@code num_retries}: retries of retryable failures per model group (default 0; per deployment in
 *       litellm_params)</li>
 *   <li>{@code retry_after}: minimum seconds before a retry (default 0)</li>
 *   <li>{@code fallbacks}: {@code [{"group-a": ["group-b", ...]}]}, tried in order once a group's retries are spent</li>
 *   <li>{@code allowed_fails}: failures in a minute that take a deployment out (default 3)</li>
 *   <li>{@code cooldown_time}: seconds a deployment stays out (default 5)</li>
 *   <li>{@code timeout}: overall deadline in seconds for one request, retries and fallbacks included
 *       (default {@code litellm_settings.request_timeout}, else 600)</li>
 * </ul>
 */
public record RouterSettings(Strategy strategy, int numRetries, double retryAfterSeconds,
                             Map<String, List<String>> fallbacks, int allowedFails, double cooldownSeconds,
                             long deadlineMs) {

    public enum Strategy {
        SIMPLE_SHUFFLE("simple-shuffle"), LEAST_BUSY("least-busy"), LATENCY_BASED("latency-based-routing");

        final String key;

        Strategy(String key) {
            this.key = key;
        }

        static Strategy of(String s) {
            for (Strategy v : values()) {
                if (v.key.equals(s.toLowerCase(Locale.ROOT))) {
                    return v;
                }
            }
            throw new ConfigException("router_settings.routing_strategy '" + s
                    + "' is not supported (simple-shuffle, least-busy, latency-based-routing)");
        }
    }

    /** Reads the settings; throws ConfigException for a malformed value. */
    public static RouterSettings from(GatewayConfig config) {
        Map<String, Object> r = config.routerSettings();
        Map<String, Object> l = config.litellmSettings();
        Object strategy = first(r, l, "routing_strategy");
        double requestTimeout = number(l, "request_timeout", 600);
        Map<String, List<String>> fallbacks = fallbacks(first(r, l, "fallbacks"));
        for (String group : fallbacks.keySet()) {
            if (config.deployments().stream().noneMatch(d -> d.modelName().equals(group))) {
                throw new ConfigException("fallbacks: model group '" + group + "' is not in model_list");
            }
            for (String to : fallbacks.get(group)) {
                if (config.deployments().stream().noneMatch(d -> d.modelName().equals(to))) {
                    throw new ConfigException("fallbacks: '" + group + "' falls back to '" + to
                            + "', which is not in model_list");
                }
            }
        }
        return new RouterSettings(strategy == null ? Strategy.SIMPLE_SHUFFLE : Strategy.of(strategy.toString()),
                (int) number(r, l, "num_retries", 0), number(r, l, "retry_after", 0), fallbacks,
                (int) number(r, l, "allowed_fails", 3), number(r, l, "cooldown_time", 5),
                (long) (number(r, l, "timeout", requestTimeout) * 1000));
    }

    private static Object first(Map<String, Object> a, Map<String, Object> b, String key) {
        return a.containsKey(key) ? a.get(key) : b.get(key);
    }

    private static double number(Map<String, Object> a, Map<String, Object> b, String key, double dflt) {
        return a.containsKey(key) ? number(a, key, dflt) : number(b, key, dflt);
    }

    private static double number(Map<String, Object> m, String key, double dflt) {
        Object v = m.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v.toString().trim());
            if (d < 0) {
                throw new ConfigException(key + " must not be negative");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " must be a number, got '" + v + "'");
        }
    }

    private static Map<String, List<String>> fallbacks(Object raw) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (raw == null) {
            return out;
        }
        if (!(raw instanceof List<?> list)) {
            throw new ConfigException("fallbacks must be a list like [{\"group-a\": [\"group-b\"]}]");
        }
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m)) {
                throw new ConfigException("fallbacks must be a list like [{\"group-a\": [\"group-b\"]}]");
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                List<String> to = new ArrayList<>();
                if (e.getValue() instanceof List<?> targets) {
                    targets.forEach(t -> to.add(String.valueOf(t)));
                } else if (e.getValue() != null) {
                    to.add(e.getValue().toString());
                }
                out.put(String.valueOf(e.getKey()), List.copyOf(to));
            }
        }
        return out;
    }
}
