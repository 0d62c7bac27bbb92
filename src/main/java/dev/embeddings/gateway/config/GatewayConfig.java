package dev.embeddings.gateway.config;

import java.util.List;
import java.util.Map;

/**
 * The loaded config.yaml.
 *
 * @param deployments    every model_list entry, in file order
 * @param masterKey      {@code general_settings.master_key}, or null when the API is open
 * @param litellmSettings {@code litellm_settings} as read (kept for the router; empty when absent)
 * @param routerSettings {@code router_settings} as read (empty when absent)
 * @param generalSettings {@code general_settings} as read, {@code os.environ/} resolved (e.g. {@code database_url};
 *                        empty when absent)
 */
public record GatewayConfig(List<Deployment> deployments, String masterKey,
                            Map<String, Object> litellmSettings, Map<String, Object> routerSettings,
                            Map<String, Object> generalSettings) {

    /** A config without general settings besides the master key. */
    public GatewayConfig(List<Deployment> deployments, String masterKey, Map<String, Object> litellmSettings,
                         Map<String, Object> routerSettings) {
        this(deployments, masterKey, litellmSettings, routerSettings, Map.of());
    }

    /** {@code general_settings.<key>} as a boolean ({@code true}/{@code "true"}), or {@code dflt} when absent. */
    public boolean generalFlag(String key, boolean dflt) {
        Object v = generalSettings.get(key);
        return v == null ? dflt : Boolean.parseBoolean(v.toString().trim());
    }
}
