package dev.embeddings.gateway.config;

import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Which {@code model_list} entries the gateway serves. A LiteLLM config usually lists chat models next to
 * embedding models; the gateway serves only embedding models and skips the rest (ConfigLoader logs them once).
 * <ol>
 *   <li>{@code model_info.mode} decides when set: {@code embedding} is served (and an unknown provider then stops
 *       start-up), any other mode ({@code chat}, {@code completion}, {@code rerank}, ...) is skipped.</li>
 *   <li>Otherwise the model id (and {@code model_info.base_model}, when set) decides:
 *     <ul>
 *       <li>providers with their own model names (OpenAI without {@code api_base}, Cohere, Vertex AI, Gemini,
 *           Voyage, Mistral, Jina, NVIDIA NIM, Bedrock): served when the id is one of their embedding models'
 *           names ({@code embed}, {@code ada-002}, {@code voyage-*}, {@code jina-clip*}, {@code textembedding*},
 *           ...), else skipped;</li>
 *       <li>providers whose ids are the operator's own names (Azure deployments, SageMaker endpoints, Hugging Face,
 *           vLLM, Infinity, LM Studio, Ollama, OpenAI with {@code api_base}, local): served unless the id looks
 *           like a chat model ({@code gpt-4o}, {@code llama}, {@code -instruct}, ...) and nothing in it names an
 *           embedding model ({@code embed}, {@code bge}, {@code e5-}, {@code gte-}, {@code minilm}, ...).</li>
 *     </ul></li>
 * </ol>
 */
public final class EmbeddingModels {

    private static final Pattern EMBEDDING = Pattern.compile(
            "embed|ada-002|textembedding|(^|[/._-])(bge|e5|gte|minilm|mpnet|nomic|arctic|stella|instructor|"
                    + "sentence-transformers|jina-clip|jina-colbert|snowflake|multilingual-e5|all-minilm)([/._-]|$)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern CHAT = Pattern.compile(
            "(^|[/._:-])(gpt-?(3|4|5|o|35)|o[1-4]($|-)|chatgpt|claude|llama|mistral|mixtral|qwen|gemma|phi-?\\d|"
                    + "deepseek|command|instruct|chat|whisper|tts|dall-e|davinci|babbage|turbo|codellama|starcoder|"
                    + "falcon|vicuna|textgeneration|text-generation|sonnet|haiku|opus|grok|rerank|moderation)",
            Pattern.CASE_INSENSITIVE);

    private EmbeddingModels() {
    }

    /**
     * Why an entry is not served, or null when it is. {@code provider} is null for a prefix with no embeddings here
     * (the caller decides what that means); {@code params} are the entry's litellm_params.
     */
    public static String skipReason(Provider provider, String upstream, Map<String, Object> params,
                                    Map<String, Object> modelInfo) {
        Object mode = modelInfo.get("mode");
        if (mode != null && !"embedding".equalsIgnoreCase(mode.toString().trim())) {
            return "model_info.mode is " + mode;
        }
        if (mode != null || provider == null) {
            return null;
        }
        Object base = modelInfo.get("base_model");
        String id = base != null ? base.toString() : upstream;
        boolean ownNames = switch (provider) {
            case COHERE, VERTEX_AI, GEMINI, VOYAGE, MISTRAL, JINA_AI, NVIDIA_NIM, BEDROCK -> true;
            case OPENAI -> base != null || params.get("api_base") == null;
            default -> base != null;
        };
        if (ownNames) {
            return isEmbeddingName(provider, id) ? null : "'" + id + "' is not an embedding model";
        }
        return CHAT.matcher(id).find() && !EMBEDDING.matcher(id).find()
                ? "'" + id + "' looks like a chat model" : null;
    }

    /** Whether {@code id} is the name of an embedding model of a provider that names its own models. */
    static boolean isEmbeddingName(Provider provider, String id) {
        String l = id.toLowerCase(Locale.ROOT);
        if (provider == Provider.VOYAGE && l.startsWith("voyage-")) {
            return true;
        }
        return EMBEDDING.matcher(l).find();
    }
}
