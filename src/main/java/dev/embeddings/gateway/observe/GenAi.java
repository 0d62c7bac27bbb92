package dev.embeddings.gateway.observe;

/** Names from the OpenTelemetry gen_ai semantic conventions. */
final class GenAi {

    private GenAi() {
    }

    /**
     * {@code gen_ai.provider.name} for a LiteLLM provider prefix: the convention's well-known value where there is
     * one ({@code azure.ai.openai}, {@code aws.bedrock}, {@code openai}, {@code gcp.vertex_ai}, {@code gcp.gemini},
     * {@code cohere}, {@code mistral_ai}...), else the prefix itself.
     */
    static String providerName(String prefix) {
        return switch (prefix) {
            case "azure" -> "azure.ai.openai";
            case "bedrock" -> "aws.bedrock";
            case "sagemaker" -> "aws.sagemaker";
            case "vertex_ai" -> "gcp.vertex_ai";
            case "gemini" -> "gcp.gemini";
            case "mistral" -> "mistral_ai";
            default -> prefix;
        };
    }
}
