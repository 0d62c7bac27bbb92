package dev.embeddings.gateway.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The upstream providers the gateway embeds with, keyed by the LiteLLM model prefix
 * ({@code "<provider>/<upstream id>"}). Each provider is served by one route, {@code direct:provider-<route>}, made
 * in {@code routes/provider-<route>.yaml}; OpenAI-compatible servers share the {@code openai} route
 * ({@code hosted_vllm/}, {@code infinity/}, {@code lm_studio/}). A prefix not listed here (a chat-only provider such as
 * {@code anthropic/}) has no embeddings here: its config entries are skipped (see ConfigLoader).
 */
public enum Provider {
    LOCAL("local", "Local model", "local"),
    BEDROCK("bedrock", "Bedrock", "bedrock"),
    SAGEMAKER("sagemaker", "SageMaker", "sagemaker"),
    AZURE("azure", "Azure OpenAI", "azure"),
    HUGGINGFACE("huggingface", "Hugging Face", "huggingface"),
    OPENAI("openai", "OpenAI", "openai"),
    HOSTED_VLLM("hosted_vllm", "vLLM", "openai"),
    INFINITY("infinity", "Infinity", "openai"),
    LM_STUDIO("lm_studio", "LM Studio", "openai"),
    COHERE("cohere", "Cohere", "cohere"),
    VERTEX_AI("vertex_ai", "Vertex AI", "vertex"),
    GEMINI("gemini", "Gemini", "gemini"),
    VOYAGE("voyage", "Voyage AI", "voyage"),
    MISTRAL("mistral", "Mistral", "mistral"),
    JINA_AI("jina_ai", "Jina AI", "jina"),
    NVIDIA_NIM("nvidia_nim", "NVIDIA NIM", "nim"),
    OLLAMA("ollama", "Ollama", "ollama");

    private final String prefix;
    private final String displayName;
    private final String route;

    Provider(String prefix, String displayName, String route) {
        this.prefix = prefix;
        this.displayName = displayName;
        this.route = route;
    }

    /** The name used in error messages, e.g. {@code Azure OpenAI}. */
    public String displayName() {
        return displayName;
    }

    /** The LiteLLM prefix, e.g. {@code bedrock}, {@code vertex_ai}. */
    public String prefix() {
        return prefix;
    }

    /**
     * The name of the route serving this provider (what the content-based router of direct:embed switches on), and
     * of its adapter bean ({@code <route>Adapter}), e.g. {@code vertex}; {@code openai} for every OpenAI-compatible
     * prefix.
     */
    public String route() {
        return route;
    }

    /** The Camel endpoint of this provider's route. */
    public String endpoint() {
        return "direct:provider-" + route;
    }

    /** The provider of a LiteLLM prefix (any case), or null when there is none here. */
    public static Provider find(String prefix) {
        String p = prefix.trim().toLowerCase(Locale.ROOT);
        for (Provider v : values()) {
            if (v.prefix.equals(p)) {
                return v;
            }
        }
        return null;
    }

    /** Returns the provider for a LiteLLM prefix, or throws ConfigException naming the known ones. */
    public static Provider fromPrefix(String prefix, String where) {
        Provider p = find(prefix);
        if (p == null) {
            throw new ConfigException(where + ": unknown provider prefix '" + prefix + "' (known: " + known() + ")");
        }
        return p;
    }

    /** The known prefixes, comma-separated, for messages. */
    public static String known() {
        return Arrays.stream(values()).map(Provider::prefix).collect(Collectors.joining(", "));
    }
}
