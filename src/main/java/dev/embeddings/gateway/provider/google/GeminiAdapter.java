package dev.embeddings.gateway.provider.google;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.HttpJsonAdapter;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;
import dev.embeddings.gateway.provider.Urls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Google AI Studio's Gemini API ({@code gemini/<model>}, e.g. {@code gemini-embedding-001},
 * {@code text-embedding-004}): {@code POST {api_base}/v1beta/models/{model}:batchEmbedContents}, default
 * {@code https://generativelanguage.googleapis.com}, the key ({@code api_key} | {@code GEMINI_API_KEY} |
 * {@code GOOGLE_API_KEY}) in the {@code x-goog-api-key} header (never in the URL).
 * <ul>
 *   <li>Request: {@code {"requests": [{"model": "models/{model}", "content": {"parts": [{"text"}]},
 *       "taskType"?, "title"?, "outputDimensionality"?}]}}; taskType from {@code task_type} / {@code input_type}
 *       (RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, SEMANTIC_SIMILARITY, CLASSIFICATION, CLUSTERING, QUESTION_ANSWERING,
 *       FACT_VERIFICATION, CODE_RETRIEVAL_QUERY), {@code title} for RETRIEVAL_DOCUMENT, {@code dimensions} →
 *       outputDimensionality.</li>
 *   <li>Answer: {@code {"embeddings": [{"values": [...]}]}}, in request order; no usage (counted with
 *       cl100k_base).</li>
 *   <li>Batches: 100 requests per call (the API's limit).</li>
 *   <li>Errors: {@code {"error": {"code", "message", "status"}}} through the shared mapping.</li>
 * </ul>
 */
public final class GeminiAdapter extends HttpJsonAdapter {

    static final int BATCH = 100;

    public GeminiAdapter(Function<String, String> env) {
        super(Provider.GEMINI, env);
    }

    @Override
    protected Target resolve(Deployment d) {
        String base = apiBase(d, "https://generativelanguage.googleapis.com", "GEMINI_API_BASE");
        String key = apiKey(d, "GEMINI_API_KEY", "GOOGLE_API_KEY");
        if (key == null) {
            throw new ConfigException("model_list entry '" + d.modelName()
                    + "': gemini needs litellm_params.api_key (or GEMINI_API_KEY)");
        }
        String model = d.upstreamModel().startsWith("models/") ? d.upstreamModel().substring(7) : d.upstreamModel();
        String path = Urls.path(base).replaceAll("/+$", "");
        String url = path.endsWith(":batchEmbedContents") ? base : Urls.appendPath(base, "v1beta/models/"
                + URLEncoder.encode(model, StandardCharsets.UTF_8) + ":batchEmbedContents");
        return new Target(url, null, Map.of("x-goog-api-key", key));
    }

    @Override
    protected int defaultBatchSize(Deployment d) {
        return BATCH;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return !d.bool("matryoshka", false);
    }

    @Override
    protected Set<String> forwardedFields(Deployment d) {
        return Set.of("task_type", "input_type", "title");
    }

    @Override
    protected void validate(EmbeddingCall call) {
        GoogleTaskTypes.of(call.request());
        JsonNode title = call.request().extras().get("title");
        if (title != null && !title.isTextual()) {
            throw GatewayException.invalid("title", "title must be a string.");
        }
    }

    @Override
    protected byte[] body(Batch batch, EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        Deployment d = call.deployment();
        String model = "models/" + (d.upstreamModel().startsWith("models/") ? d.upstreamModel().substring(7)
                : d.upstreamModel());
        String task = GoogleTaskTypes.of(r);
        JsonNode title = r.extras().get("title");
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("requests");
            for (String t : batch.texts()) {
                g.writeStartObject();
                g.writeStringField("model", model);
                g.writeObjectFieldStart("content");
                g.writeArrayFieldStart("parts");
                g.writeStartObject();
                g.writeStringField("text", t);
                g.writeEndObject();
                g.writeEndArray();
                g.writeEndObject();
                if (task != null) {
                    g.writeStringField("taskType", task);
                }
                if (title != null && "RETRIEVAL_DOCUMENT".equals(task)) {
                    g.writeStringField("title", title.asText());
                }
                if (r.dimensions() != null && forwardsDimensions(d)) {
                    g.writeNumberField("outputDimensionality", r.dimensions());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    protected BatchResult parse(byte[] body, Batch batch, EmbeddingCall call) {
        String name = call.deployment().provider().displayName();
        Answer a = UpstreamJson.read(body, name, GeminiAdapter::field);
        if (a.vectors == null) {
            throw UpstreamErrors.unparseable(name, "no embeddings array");
        }
        UpstreamJson.checkCount(name, a.vectors.length, batch.size());
        return new BatchResult(batch.offset(), a.vectors, batch.countTokens());
    }

    /** The answer's {@code embeddings}: a ContentEmbedding {@code {"values": [...]}} per input. */
    private static boolean field(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if (!"embeddings".equals(f) || v != JsonToken.START_ARRAY) {
            return false;
        }
        List<float[]> vectors = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            float[] values = UpstreamJson.field(p, "values", JsonToken.START_ARRAY, JsonVectors::vector);
            if (values == null) {
                throw UpstreamErrors.unparseable(a.provider, "an embedding without values");
            }
            vectors.add(values);
        }
        a.vectors = vectors.toArray(float[][]::new);
        return true;
    }
}
