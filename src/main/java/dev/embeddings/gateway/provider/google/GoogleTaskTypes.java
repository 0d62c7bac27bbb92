package dev.embeddings.gateway.provider.google;

import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.provider.InputTypes;

/** Google's embedding task types (Vertex AI {@code task_type}, Gemini {@code taskType}), from any spelling. */
final class GoogleTaskTypes {

    private GoogleTaskTypes() {
    }

    /**
     * The task type of the request's {@code task_type}, {@code taskType} or {@code input_type} (first set), in
     * Google's words, or null when none is set. GatewayException 400 for an unknown value.
     */
    static String of(EmbeddingRequest r) {
        InputTypes t = InputTypes.of(r.extras(), "task_type", "taskType", "input_type");
        if (t == null) {
            return null;
        }
        String field = r.extras().containsKey("task_type") ? "task_type"
                : r.extras().containsKey("taskType") ? "taskType" : "input_type";
        return t.as(field, "Google", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "CLASSIFICATION", "CLUSTERING",
                "SEMANTIC_SIMILARITY", "CODE_RETRIEVAL_QUERY", "QUESTION_ANSWERING", "FACT_VERIFICATION");
    }
}
