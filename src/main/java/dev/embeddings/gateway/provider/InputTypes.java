package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.GatewayException;

import java.util.Locale;
import java.util.Map;

/**
 * The intent of an input ({@code input_type} in LiteLLM and Cohere, {@code task_type} in Google's APIs,
 * {@code task} in Jina's, {@code input_type} query/passage in NVIDIA's), mapped between providers: a client may send
 * any provider's spelling and each provider gets its own. Kinds with no equivalent at a provider are a 400 naming the
 * field and the values that provider accepts.
 */
public enum InputTypes {
    QUERY, DOCUMENT, CLASSIFICATION, CLUSTERING, SIMILARITY, CODE_QUERY, QUESTION_ANSWERING, FACT_VERIFICATION;

    private static final Map<String, InputTypes> NAMES = Map.ofEntries(
            Map.entry("query", QUERY), Map.entry("search_query", QUERY), Map.entry("retrieval_query", QUERY),
            Map.entry("retrieval.query", QUERY),
            Map.entry("document", DOCUMENT), Map.entry("passage", DOCUMENT), Map.entry("search_document", DOCUMENT),
            Map.entry("retrieval_document", DOCUMENT), Map.entry("retrieval.passage", DOCUMENT),
            Map.entry("classification", CLASSIFICATION),
            Map.entry("clustering", CLUSTERING), Map.entry("separation", CLUSTERING),
            Map.entry("semantic_similarity", SIMILARITY), Map.entry("similarity", SIMILARITY),
            Map.entry("text-matching", SIMILARITY),
            Map.entry("code_retrieval_query", CODE_QUERY), Map.entry("code.query", CODE_QUERY),
            Map.entry("question_answering", QUESTION_ANSWERING),
            Map.entry("fact_verification", FACT_VERIFICATION));

    /**
     * The kind named by the first of {@code fields} the request carries (e.g. {@code task_type}, then
     * {@code input_type}), or null when none is set. Throws GatewayException 400 naming the field for a value that
     * is not a string or not a known intent.
     */
    public static InputTypes of(Map<String, JsonNode> extras, String... fields) {
        for (String f : fields) {
            JsonNode v = extras == null ? null : extras.get(f);
            if (v == null || v.isNull()) {
                continue;
            }
            InputTypes t = v.isTextual() ? NAMES.get(v.asText().trim().toLowerCase(Locale.ROOT)) : null;
            if (t == null) {
                throw GatewayException.invalid(f, f + " must be one of query, document, classification, "
                        + "clustering, semantic_similarity, code_retrieval_query, question_answering, "
                        + "fact_verification (or a provider's own name for these).");
            }
            return t;
        }
        return null;
    }

    /**
     * This kind in a provider's vocabulary: {@code values} lists, in {@link InputTypes} order, the provider's word for
     * each kind (null where it has none). Throws GatewayException 400 naming {@code field} when the kind has no word.
     */
    public String as(String field, String provider, String... values) {
        String v = ordinal() < values.length ? values[ordinal()] : null;
        if (v == null) {
            StringBuilder ok = new StringBuilder();
            for (String s : values) {
                if (s != null) {
                    ok.append(ok.length() > 0 ? ", " : "").append(s);
                }
            }
            throw GatewayException.invalid(field, provider + " has no " + name().toLowerCase(Locale.ROOT)
                    + " input type; it accepts " + ok + ".");
        }
        return v;
    }
}
