package dev.embeddings.gateway.provider.huggingface;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.OpenAiFormat;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.Urls;
import dev.embeddings.gateway.provider.huggingface.FeatureExtraction.Pooling;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Hugging Face ({@code huggingface/<model id>}), over camel-http. Three upstream kinds, chosen once per deployment
 * in {@link #prepare}:
 * <ul>
 *   <li><b>Native</b> ({@code api_base} set, an Inference Endpoint or a TEI server): {@code POST {api_base}} with
 *       {@code {"inputs":[text, ...]}} plus {@code truncate}, {@code normalize}, {@code prompt_name},
 *       {@code truncation_direction} (TEI's {@code /embed} parameters) from the client, else from the deployment's
 *       litellm_params; no other client field reaches the upstream. Calls carry at most
 *       {@value #DEFAULT_MAX_BATCH_BYTES} bytes of inputs ({@code max_batch_bytes}). The answer is parsed by {@link FeatureExtraction}: {@code [d]}, {@code [n][d]}, or
 *       token vectors {@code [n][t][d]} / {@code [n][1][t][d]} pooled by {@code litellm_params.pooling}
 *       ({@code mean}, the default, or {@code cls}). Token-id inputs are decoded with cl100k_base first;
 *       {@code dimensions} is not sent (matryoshka truncation by the gateway, see
 *       {@link dev.embeddings.gateway.provider.Dimensions}). Usage: counted with cl100k_base, since the upstream
 *       reports none.</li>
 *   <li><b>OpenAI format</b> ({@code api_base} ending in {@code /v1} or {@code /v1/}, e.g. TEI's or an Inference
 *       Endpoint's OpenAI route, or in {@code /v1/embeddings}, that route itself): {@code POST {api_base}/embeddings}
 *       (the base as it is when it ends in {@code /embeddings}) with {@code {"input", "model": <model id>,
 *       "encoding_format": "base64", "dimensions"?, "user"?}}; token ids and {@code dimensions} are forwarded and the
 *       upstream's usage is kept (see {@link OpenAiFormat}).</li>
 *   <li><b>Serverless</b> (no {@code api_base}): native format against {@link #serverlessUrl}, i.e.
 *       {@value #SERVERLESS_BASE}{@code {model id}/pipeline/feature-extraction}.</li>
 * </ul>
 * <p>As in LiteLLM, {@code api_base} falls back to the environment's {@code HF_API_BASE}, then
 * {@code HUGGINGFACE_API_BASE}, and a model id that is itself an {@code http(s)://} URL is the endpoint. Auth:
 * {@code Authorization: Bearer {api_key}}, with {@code api_key} from litellm_params, else {@code HUGGINGFACE_API_KEY}
 * (LiteLLM's variable), else {@code HF_TOKEN} (the Hub's); no header when none is set (a private TEI server).
 * Errors: statuses as in {@link dev.embeddings.gateway.provider.UpstreamErrors} (TEI's 413/422 "must have less than N
 * tokens" → 400 {@code context_length_exceeded}), except a 503 whose JSON body has {@code estimated_time} (seconds;
 * the model is loading), which becomes 503 {@code api_error} / {@code model_loading} with {@code Retry-After:
 * ceil(estimated_time)}, and TEI's 424 (backend failure), which becomes 502. Nothing is asked of the Hub's model
 * API. Batch size {@value #BATCH} (TEI's default {@code max_client_batch_size}).
 */
public final class HuggingFaceAdapter extends ProviderAdapter {

    /** The serverless Inference API (hf-inference provider of the router): the model id and task follow. */
    public static final String SERVERLESS_BASE = "https://router.huggingface.co/hf-inference/models/";
    /** The client fields forwarded to a native upstream, in this order (TEI's {@code /embed} parameters). */
    static final List<String> BODY_EXTRAS = List.of("truncate", "normalize", "prompt_name", "truncation_direction");
    private static final int BATCH = 32;
    private static final String BATCH_PROPERTY = "batch";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A deployment's upstream, resolved once. {@code endpoint} is the upstream URL (http options are added per attempt). */
    record Target(String endpoint, boolean openAi, Pooling pooling, String apiKey) {
    }

    private final Function<String, String> env;
    private final Map<Deployment, Target> targets = new ConcurrentHashMap<>();

    public HuggingFaceAdapter(Function<String, String> env) {
        super(Provider.HUGGINGFACE);
        this.env = env;
    }


    @Override
    protected int defaultBatchSize(Deployment d) {
        return BATCH;
    }

    /** Only the OpenAI-format upstream takes token ids; the others get cl100k_base-decoded text. */
    @Override
    protected boolean acceptsTokenIds(Deployment d) {
        return target(d).openAi();
    }

    /** TEI's {@code /embed} fields, from the client or else the deployment's litellm_params (native upstreams). */
    @Override
    protected java.util.Set<String> forwardedFields(Deployment d) {
        return target(d).openAi() ? java.util.Set.of() : java.util.Set.copyOf(BODY_EXTRAS);
    }

    /**
     * 1 MB per call: TEI refuses bodies over its {@code --payload-limit} (2,000,000 bytes by default) with 413, and
     * the JSON around the inputs and escaping need room.
     */
    @Override
    protected long defaultMaxBatchBytes(Deployment d) {
        return DEFAULT_MAX_BATCH_BYTES;
    }

    /** The byte budget of one call's inputs by default. */
    public static final long DEFAULT_MAX_BATCH_BYTES = 1_000_000;

    /** Only the OpenAI-format upstream takes {@code dimensions}. */
    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return target(d).openAi();
    }

    /**
     * For a native upstream, checks the forwarded extras' JSON types (TEI's schema): {@code truncate} and
     * {@code normalize} booleans, {@code prompt_name} and {@code truncation_direction} strings. Throws
     * GatewayException 400 naming the field otherwise.
     */
    @Override
    protected void validate(EmbeddingCall call) {
        if (target(call.deployment()).openAi()) {
            return;
        }
        Map<String, JsonNode> extras = call.request().extras();
        for (String name : BODY_EXTRAS) {
            JsonNode v = extras.get(name);
            if (v == null) {
                continue;
            }
            boolean bool = name.equals("truncate") || name.equals("normalize");
            if (bool ? !v.isBoolean() : !v.isTextual()) {
                throw GatewayException.invalid(name, name + " must be a " + (bool ? "boolean" : "string") + ".");
            }
        }
    }

    /**
     * Resolves the deployment's upstream (URL, format, pooling, key) and its Camel endpoint URI, once. Throws
     * ConfigException for an {@code api_base} that is not http(s) or a {@code pooling} other than mean or cls.
     */
    @Override
    public void prepare(Deployment d) {
        targets.put(d, resolve(d));
    }

    /** The deployment's resolved upstream (resolved now if {@link #prepare} did not run for it). */
    Target target(Deployment d) {
        return targets.computeIfAbsent(d, this::resolve);
    }

    private Target resolve(Deployment d) {
        String where = "model_list entry '" + d.modelName() + "'";
        String pooling = d.string("pooling");
        Pooling p;
        if (pooling == null || pooling.trim().equalsIgnoreCase("mean")) {
            p = Pooling.MEAN;
        } else if (pooling.trim().equalsIgnoreCase("cls")) {
            p = Pooling.CLS;
        } else {
            throw new ConfigException(where + ": litellm_params.pooling must be mean or cls, not '" + pooling + "'");
        }
        String base = d.string("api_base");
        if (base == null) {
            base = env.apply("HF_API_BASE");
        }
        if (base == null) {
            base = env.apply("HUGGINGFACE_API_BASE");
        }
        if (base == null && isHttp(d.upstreamModel())) {
            base = d.upstreamModel();
        }
        if (base != null) {
            base = base.trim();
            if (!isHttp(base)) {
                throw new ConfigException(where + ": huggingface api_base must be an http:// or https:// URL");
            }
        }
        boolean openAi = base != null && isOpenAiBase(base);
        if (openAi) {
            OpenAiFormat.upstreamEncoding(d);
        }
        String url = base == null ? serverlessUrl(d.upstreamModel()) : openAi ? openAiUrl(base) : base;
        String key = d.string("api_key");
        if (key == null) {
            key = env.apply("HUGGINGFACE_API_KEY");
        }
        if (key == null) {
            key = env.apply("HF_TOKEN");
        }
        UpstreamErrors.addSecret(key);
        return new Target(url, openAi, p, key);
    }

    private static boolean isHttp(String s) {
        String l = s.toLowerCase(Locale.ROOT);
        return l.startsWith("http://") || l.startsWith("https://");
    }

    /**
     * Whether an api_base speaks the OpenAI format: its path ends in {@code /v1} (an OpenAI-compatible root) or
     * {@code /v1/embeddings} (TEI's OpenAI route itself), optionally with a slash; a query string does not count.
     */
    static boolean isOpenAiBase(String apiBase) {
        String path;
        try {
            path = java.net.URI.create(Urls.path(apiBase)).getRawPath();
        } catch (IllegalArgumentException e) {
            path = Urls.path(apiBase);
        }
        String p = path == null ? "" : path.replaceAll("/+$", "");
        return p.endsWith("/v1") || p.endsWith("/v1/embeddings");
    }

    /**
     * The OpenAI-format URL of an api_base: {@code {api_base}/embeddings} for a root ({@code .../v1}), the base as it
     * is when it already ends in {@code /embeddings}; a query string stays at the end.
     */
    static String openAiUrl(String apiBase) {
        return Urls.path(apiBase).replaceAll("/+$", "").endsWith("/embeddings") ? apiBase
                : Urls.appendPath(apiBase, "embeddings");
    }

    /**
     * The serverless feature-extraction URL of a Hub model id, each path segment percent-encoded (the slash between
     * owner and name stays): {@code BAAI/bge-small-en-v1.5} →
     * {@code https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/feature-extraction}.
     */
    static String serverlessUrl(String modelId) {
        StringBuilder b = new StringBuilder(SERVERLESS_BASE);
        String[] segments = modelId.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            b.append(i > 0 ? "/" : "").append(URLEncoder.encode(segments[i], StandardCharsets.UTF_8)
                    .replace("+", "%20"));
        }
        return b.append("/pipeline/feature-extraction").toString();
    }

    /** Camel entry in the split: body = Batch → JSON request bytes, auth header, endpoint property. */
    public void request(Exchange exchange) {
        EmbeddingCall call = call(exchange);
        Deployment d = call.deployment();
        Target t = target(d);
        Batch batch = exchange.getMessage().getBody(Batch.class);
        Message m = exchange.getMessage();
        m.setBody(t.openAi() ? OpenAiFormat.request(batch, call.request(), d.upstreamModel(), true,
                OpenAiFormat.upstreamEncoding(d))
                : nativeRequest(batch, call.request()));
        jsonPost(m);
        if (t.apiKey() != null) {
            m.setHeader("Authorization", "Bearer " + t.apiKey());
        }
        exchange.setProperty(BATCH_PROPERTY, batch);
        exchange.setProperty(UPSTREAM_ENDPOINT, httpEndpoint(exchange, d, t.endpoint()));
    }

    /**
     * The native body: {@code {"inputs":[text, ...]}} and, in {@link #BODY_EXTRAS} order, each extra the client set
     * (already type-checked by {@link #validate}). Token-id batches never get here (they were decoded to text).
     */
    static byte[] nativeRequest(Batch batch, EmbeddingRequest req) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeArrayFieldStart("inputs");
            for (String text : batch.texts()) {
                g.writeString(text);
            }
            g.writeEndArray();
            Map<String, JsonNode> extras = req.extras();
            for (String name : BODY_EXTRAS) {
                JsonNode v = extras == null ? null : extras.get(name);
                if (v != null && !v.isNull()) {
                    g.writeFieldName(name);
                    g.writeTree(v);
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Camel entry in the split: the upstream answer → BatchResult. Native: vectors by {@link FeatureExtraction}
     * (502 for any other shape), tokens by cl100k_base. OpenAI format: {@link OpenAiFormat#response}.
     */
    public BatchResult response(Exchange exchange) {
        byte[] body = httpBody(exchange);
        Batch batch = exchange.getProperty(BATCH_PROPERTY, Batch.class);
        Target t = target(call(exchange).deployment());
        if (t.openAi()) {
            return OpenAiFormat.response(body, batch, displayName());
        }
        float[][] vectors = FeatureExtraction.parse(body, batch.size(), t.pooling(), displayName());
        return new BatchResult(batch.offset(), vectors, batch.countTokens());
    }

    /**
     * A 503 with a numeric {@code estimated_time} (seconds) in its JSON body (the model is loading) → 503
     * {@code api_error} / {@code model_loading} with {@code Retry-After: ceil(estimated_time)}; every other answer
     * as {@link dev.embeddings.gateway.provider.UpstreamErrors#fromStatus}.
     */
    @Override
    protected GatewayException upstreamError(Exchange exchange, int status, byte[] body, String retryAfter) {
        if (status == 503) {
            Double eta = estimatedTime(body);
            if (eta != null) {
                int seconds = (int) Math.min(Integer.MAX_VALUE, Math.ceil(eta));
                return new GatewayException(503, "api_error", null, "model_loading", displayName()
                        + " upstream returned HTTP 503: model '" + call(exchange).deployment().modelName()
                        + "' is loading, estimated time " + eta + " s; retry after " + seconds + " s.", seconds);
            }
        }
        // TEI's 424 "Backend" error (the model failed to run) is a 502 like Bedrock's, in the shared mapping
        return super.upstreamError(exchange, status, body, retryAfter);
    }

    /** The non-negative finite {@code estimated_time} of a JSON object body, or null. */
    static Double estimatedTime(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(body);
            JsonNode eta = n == null ? null : n.get("estimated_time");
            if (eta != null && eta.isNumber() && Double.isFinite(eta.asDouble()) && eta.asDouble() >= 0) {
                return eta.asDouble();
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: an ordinary 503
        }
        return null;
    }
}
