package dev.embeddings.gateway.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The upstream providers the content-based router knows, keyed by the LiteLLM model prefix
 * ({@code "<provider>/<upstream id>"}). Each has one route, {@code direct:provider-<name>}, in
 * {@code routes/provider-<name>.yaml}.
 */
public enum Provider {
    LOCAL("local", "Local model"),
    BEDROCK("bedrock", "Bedrock"),
    SAGEMAKER("sagemaker", "SageMaker"),
    AZURE("azure", "Azure OpenAI"),
    HUGGINGFACE("huggingface", "Hugging Face");

    private final String prefix;
    private final String displayName;

    Provider(String prefix, String displayName) {
        this.prefix = prefix;
        this.displayName = displayName;
    }

    /** The name used in error messages, e.g. {@code Azure OpenAI}. */
    public String displayName() {
        return displayName;
    }

    /** The LiteLLM prefix and route suffix, e.g. {@code bedrock}. */
    public String prefix() {
        return prefix;
    }

    /** The Camel endpoint of this provider's route. */
    public String endpoint() {
        return "direct:provider-" + prefix;
    }

    /** Returns the provider for a LiteLLM prefix, or throws ConfigException naming the known ones. */
    public static Provider fromPrefix(String prefix, String where) {
        String p = prefix.toLowerCase(Locale.ROOT);
        for (Provider v : values()) {
            if (v.prefix.equals(p)) {
                return v;
            }
        }
        throw new ConfigException(where + ": unknown provider prefix '" + prefix + "' (known: "
                + Arrays.stream(values()).map(Provider::prefix).collect(Collectors.joining(", ")) + ")");
    }
}
