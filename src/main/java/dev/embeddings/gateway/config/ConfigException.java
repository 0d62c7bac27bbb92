package dev.embeddings.gateway.config;

/**
 * A config.yaml problem that stops start-up. The message is one line meant for the operator: it names the
 * entry and the key (or environment variable) at fault, never a secret value.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
