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
 */
public record GatewayConfig(List<Deployment> deployments, String masterKey,
                            Map<String, Object> litellmSettings, Map<String, Object> routerSettings) {
}
