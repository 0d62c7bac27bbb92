package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.GatewayConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The start-up summary, logged once the gateway answers: where it listens, which models and deployments it serves
 * ({@code model_name -> provider/upstream model [deployment id]}, never a key or a URL), whether auth, reload, the
 * Kafka pipeline, the metrics endpoint and tracing are on, and where the config and properties were read from (a
 * WARN when no {@code application.properties} sits next to the config).
 */
public final class StartupSummary {

    private static final Logger LOG = LoggerFactory.getLogger(StartupSummary.class);

    private StartupSummary() {
    }

    /**
     * @param properties the application.properties read, or null when there was none next to the config
     * @param reloadDir  the routes folder when live reload is on, else null
     * @param kafka      the Kafka bootstrap servers when the pipeline is on, else null
     */
    public static void log(String version, String host, int port, Path config, Path properties, GatewayConfig cfg,
                           Path reloadDir, String kafka, boolean metricsPublic, Tracing tracing, long startupMs) {
        for (String line : lines(version, host, port, config, properties, cfg, reloadDir, kafka, metricsPublic,
                tracing, startupMs)) {
            LOG.info(line);
        }
        if (properties == null) {
            LOG.warn("no application.properties next to {}: built-in defaults and command-line flags only",
                    config.toAbsolutePath().normalize());
        }
    }

    static List<String> lines(String version, String host, int port, Path config, Path properties, GatewayConfig cfg,
                              Path reloadDir, String kafka, boolean metricsPublic, Tracing tracing, long startupMs) {
        List<String> out = new ArrayList<>();
        out.add("embeddings-gateway ready in " + startupMs + " ms on http://" + host + ":" + port
                + " (POST /v1/embeddings; Apache Camel " + version + ")");
        out.add("config: " + config.toAbsolutePath().normalize() + "; properties: "
                + (properties == null ? "none (built-in defaults)" : properties.toAbsolutePath().normalize()));
        Map<String, List<Deployment>> groups = new LinkedHashMap<>();
        for (Deployment d : cfg.deployments()) {
            groups.computeIfAbsent(d.modelName(), k -> new ArrayList<>()).add(d);
        }
        out.add("models: " + groups.size() + " model group(s), " + cfg.deployments().size() + " deployment(s)");
        groups.forEach((name, ds) -> {
            StringBuilder sb = new StringBuilder("  ").append(name).append(" -> ");
            for (int i = 0; i < ds.size(); i++) {
                Deployment d = ds.get(i);
                sb.append(i > 0 ? ", " : "").append(d.provider().prefix()).append('/').append(d.upstreamModel())
                        .append(" [").append(d.id()).append(']');
            }
            out.add(sb.toString());
        });
        out.add("auth: " + (cfg.masterKey() != null ? "on (general_settings.master_key)"
                : "OFF (no general_settings.master_key: every client is admitted)")
                + "; reload: " + (reloadDir != null ? "on (" + reloadDir + ")" : "off")
                + "; kafka pipeline: " + (kafka != null ? "on (" + kafka + ")" : "off"));
        out.add("metrics: GET /metrics (" + (metricsPublic ? "public" : "master key") + "); tracing: "
                + (tracing.enabled() ? "OTLP to " + tracing.endpoint() : "off")
                + "; access log: " + (AccessLog.enabled() ? "on" : "off") + " (logger " + AccessLog.LOGGER + ")");
        return out;
    }
}
