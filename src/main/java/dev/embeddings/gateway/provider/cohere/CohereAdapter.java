package dev.embeddings.gateway.provider.cohere;

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
import dev.embeddings.gateway.provider.ImageInputs;
import dev.embeddings.gateway.provider.InputTypes;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;
import dev.embeddings.gateway.provider.Urls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Cohere's API v2 ({@code cohere/<model>}): {@code POST {api_base}/v2/embed}, default {@code https://api.cohere.com},
 * {@code Authorization: Bearer {api_key | COHERE_API_KEY | CO_API_KEY}}.
 * <ul>
 *   <li>Request: {@code {"model", "texts": [...], "input_type", "embedding_types": ["float"], "truncate"?,
 *       "output_dimension"?}}; an image batch sends {@code "images": ["data:image/...;base64,..."]} with
 *       {@code input_type: image}.</li>
 *   <li>{@code input_type}: the client's (any spelling: query → search_query, document → search_document,
 *       classification, clustering), else the deployment's, else {@code search_document} (LiteLLM's default).</li>
 *   <li>{@code truncate}: NONE | START | END (Cohere's default END), from the client or the deployment.</li>
 *   <li>{@code dimensions} → {@code output_dimension} for {@code embed-v4.0} (256, 512, 1024, 1536); other models
 *       only with {@code matryoshka: true}.</li>
 *   <li>Batches: 96 texts per call; images one per call (v3 and v4 models, {@code embed-*-v3.0}, {@code embed-v4.0}),
 *       at most 5 MB each, checked first.</li>
 *   <li>Answer: {@code {"embeddings": {"float": [[...]]}, "meta": {"billed_units": {"input_tokens", "image_tokens"}}}};
 *       usage is input_tokens + image_tokens (cl100k_base's count when absent).</li>
 *   <li>Errors: {@code {"message"}} bodies through the shared mapping (UpstreamErrors).</li>
 * </ul>
 */
public final class CohereAdapter extends HttpJsonAdapter {

    static final int BATCH = 96;
    static final long IMAGE_BYTES = 5L * 1024 * 1024;
    static final Set<Integer> V4_DIMENSIONS = Set.of(256, 512, 1024, 1536);
    static final Set<String> TRUNCATE = Set.of("NONE", "START", "END");

    public CohereAdapter(Function<String, String> env) {
        super(Provider.COHERE, env);
    }

    private static boolean v4(Deployment d) {
        return d.upstreamModel().toLowerCase(Locale.ROOT).startsWith("embed-v4");
    }

    private static boolean embedsImages(Deployment d) {
        String m = d.upstreamModel().toLowerCase(Locale.ROOT);
        return v4(d) || m.endsWith("-v3.0") || m.endsWith("-v3");
    }

    @Override
    protected Target resolve(Deployment d) {
        String base = apiBase(d, "https://api.cohere.com", "COHERE_API_BASE");
        String key = apiKey(d, "COHERE_API_KEY", "CO_API_KEY");
        if (key == null) {
            throw new ConfigException("model_list entry '" + d.modelName()
                    + "': cohere needs litellm_params.api_key (or COHERE_API_KEY)");
        }
        String path = Urls.path(base).replaceAll("/+$", "");
        return new Target(path.endsWith("/embed") ? base : Urls.appendPath(base, "v2/embed"), key, Map.of());
    }

    @Override
    protected int defaultBatchSize(Deployment d) {
        return BATCH;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return v4(d) && !d.bool("matryoshka", false);
    }

    @Override
    protected Set<String> forwardedFields(Deployment d) {
        return Set.of("input_type", "truncate");
    }

    @Override
    protected long imageMaxBytes(Deployment d) {
        return embedsImages(d) ? IMAGE_BYTES : 0;
    }

    @Override
    protected void validate(EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        inputType(r);
        JsonNode t = r.extras().get("truncate");
        if (t != null && !(t.isTextual() && TRUNCATE.contains(t.asText().toUpperCase(Locale.ROOT)))) {
            throw GatewayException.invalid("truncate", "truncate must be NONE, START or END.");
        }
        Integer dim = r.dimensions();
        if (dim != null && forwardsDimensions(call.deployment()) && !V4_DIMENSIONS.contains(dim)) {
            throw GatewayException.invalid("dimensions", "Model '" + call.deployment().modelName()
                    + "' supports dimensions 256, 512, 1024, 1536, not " + dim + ".");
        }
    }

    /** The client's or deployment's input type in Cohere's words, else search_document. */
    static String inputType(EmbeddingRequest r) {
        InputTypes t = InputTypes.of(r.extras(), "input_type");
        return t == null ? "search_document" : t.as("input_type", "Cohere", "search_query", "search_document",
                "classification", "clustering");
    }

    @Override
    protected byte[] body(Batch batch, EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        Deployment d = call.deployment();
        boolean images = ImageInputs.isImage(batch.texts().get(0));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeStringField("model", d.upstreamModel());
            g.writeArrayFieldStart(images ? "images" : "texts");
            for (String t : batch.texts()) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeStringField("input_type", images ? "image" : inputType(r));
            g.writeArrayFieldStart("embedding_types");
            g.writeString("float");
            g.writeEndArray();
            JsonNode truncate = r.extras().get("truncate");
            if (truncate != null && !images) {
                g.writeStringField("truncate", truncate.asText().toUpperCase(Locale.ROOT));
            }
            if (r.dimensions() != null && forwardsDimensions(d)) {
                g.writeNumberField("output_dimension", r.dimensions());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    protected BatchResult parse(byte[] body, Batch batch, EmbeddingCall call) {
        String name = call.deployment().provider().displayName();
        Answer a = UpstreamJson.read(body, name, CohereAdapter::field);
        if (a.vectors == null) {
            throw UpstreamErrors.unparseable(name, "no embeddings.float array");
        }
        UpstreamJson.checkCount(name, a.vectors.length, batch.size());
        return new BatchResult(batch.offset(), a.vectors, a.tokens >= 0 ? a.tokens
                : ImageInputs.isImage(batch.texts().get(0)) ? 0 : batch.countTokens());
    }

    /** The answer's fields: {@link #embeddings}, and {@code meta} for the usage. */
    private static boolean field(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("meta".equals(f) && v == JsonToken.START_OBJECT) {
            UpstreamJson.readFields(p, a, CohereAdapter::meta);
            return true;
        }
        return embeddings(a, f, v, p);
    }

    /** {@code meta}'s fields: the tokens are {@code billed_units.input_tokens + image_tokens}. */
    private static boolean meta(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if (!"billed_units".equals(f) || v != JsonToken.START_OBJECT) {
            return false;
        }
        UpstreamJson.readFields(p, a, (x, u, uv, q) -> {
            if (("input_tokens".equals(u) || "image_tokens".equals(u)) && uv.isNumeric()) {
                x.tokens = Math.max(x.tokens, 0) + q.getIntValue();
                return true;
            }
            return false;
        });
        return true;
    }

    /**
     * Cohere's {@code embeddings} field (also Cohere's models on Bedrock): {@code {"float": [[...]]}} when
     * {@code embedding_types} was sent (other types skipped), or {@code [[...]]} (v3's embeddings_floats). A
     * {@link UpstreamJson.Fields} for any other field too: false, to have it skipped.
     */
    public static boolean embeddings(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if (!"embeddings".equals(f)) {
            return false;
        }
        if (v == JsonToken.START_ARRAY) {
            a.vectors = JsonVectors.matrix(p);
            return true;
        }
        if (v == JsonToken.START_OBJECT) {
            a.vectors = UpstreamJson.field(p, "float", JsonToken.START_ARRAY, JsonVectors::matrix);
            return true;
        }
        return false;
    }
}
