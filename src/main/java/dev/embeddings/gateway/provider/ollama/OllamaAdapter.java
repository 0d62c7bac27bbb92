package dev.embeddings.gateway.provider.ollama;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Ollama ({@code ollama/<model>}): {@code POST {api_base}/api/embed}, default {@code http://localhost:11434}
 * ({@code OLLAMA_API_BASE}); no auth unless {@code api_key} / {@code OLLAMA_API_KEY} is set (a proxy in front), then
 * Bearer.
 * <ul>
 *   <li>Request: {@code {"model", "input": [...], "truncate"?, "keep_alive"?, "dimensions"?, "options"?}}:
 *       {@code truncate} (boolean, Ollama's default true), {@code keep_alive} (a duration string such as
 *       {@code "5m"} or seconds), {@code options} (model parameters) from the client or the deployment;
 *       {@code dimensions} is forwarded unless {@code matryoshka: true}.</li>
 *   <li>Answer: {@code {"model", "embeddings": [[...]], "prompt_eval_count"}}; usage is prompt_eval_count.</li>
 *   <li>Batches: {@value #BATCH} inputs per call (Ollama documents no limit).</li>
 *   <li>Errors: {@code {"error": "..."}} through the shared mapping (404 "model not found, try pulling it first",
 *       400 "input length exceeds the context length" → {@code context_length_exceeded}).</li>
 * </ul>
 */
public final class OllamaAdapter extends HttpJsonAdapter {

    static final int BATCH = 64;

    public OllamaAdapter(Function<String, String> env) {
        super(Provider.OLLAMA, env);
    }

    @Override
    protected Target resolve(Deployment d) {
        String base = apiBase(d, "http://localhost:11434", "OLLAMA_API_BASE");
        String path = Urls.path(base).replaceAll("/+$", "");
        return new Target(path.endsWith("/api/embed") ? base : Urls.appendPath(base, "api/embed"),
                apiKey(d, "OLLAMA_API_KEY"), Map.of());
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
        return Set.of("truncate", "keep_alive", "options");
    }

    @Override
    protected void validate(EmbeddingCall call) {
        Map<String, JsonNode> x = call.request().extras();
        JsonNode t = x.get("truncate");
        if (t != null && !t.isBoolean()) {
            throw GatewayException.invalid("truncate", "truncate must be a boolean.");
        }
        JsonNode k = x.get("keep_alive");
        if (k != null && !(k.isTextual() || k.isNumber())) {
            throw GatewayException.invalid("keep_alive", "keep_alive must be a duration string or seconds.");
        }
        JsonNode o = x.get("options");
        if (o != null && !o.isObject()) {
            throw GatewayException.invalid("options", "options must be an object.");
        }
    }

    @Override
    protected byte[] body(Batch batch, EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeStringField("model", call.deployment().upstreamModel());
            g.writeArrayFieldStart("input");
            for (String t : batch.texts()) {
                g.writeString(t);
            }
            g.writeEndArray();
            for (String f : new String[]{"truncate", "keep_alive", "options"}) {
                JsonNode v = r.extras().get(f);
                if (v != null) {
                    g.writeFieldName(f);
                    g.writeTree(v);
                }
            }
            if (r.dimensions() != null && forwardsDimensions(call.deployment())) {
                g.writeNumberField("dimensions", r.dimensions());
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
        Answer a = UpstreamJson.read(body, name, OllamaAdapter::field);
        if (a.vectors == null) {
            throw UpstreamErrors.unparseable(name, "no embeddings array");
        }
        UpstreamJson.checkCount(name, a.vectors.length, batch.size());
        return new BatchResult(batch.offset(), a.vectors, a.tokens >= 0 ? a.tokens : batch.countTokens());
    }

    /** The answer's {@code embeddings} and {@code prompt_eval_count}; an {@code error} field is a 502. */
    private static boolean field(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("embeddings".equals(f) && v == JsonToken.START_ARRAY) {
            a.vectors = JsonVectors.matrix(p);
            return true;
        }
        if ("prompt_eval_count".equals(f) && v == JsonToken.VALUE_NUMBER_INT) {
            a.tokens = p.getIntValue();
            return true;
        }
        if ("error".equals(f)) {
            throw UpstreamErrors.unparseable(a.provider, "an error body with a 2xx status");
        }
        return false;
    }
}
