package dev.embeddings.gateway.provider.openai;

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
import dev.embeddings.gateway.provider.InputLimits;
import dev.embeddings.gateway.provider.InputTypes;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.OpenAiFormat;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;
import dev.embeddings.gateway.provider.Urls;
import dev.embeddings.gateway.provider.azure.AzureAdapter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Providers that speak the OpenAI embeddings format ({@code POST {api_base}/embeddings}, {@code Authorization: Bearer
 * {key}}, {@code {"input": [...], "model"}} in, {@code {"data":[{"index","embedding"}], "usage"}} out), each with
 * its own documented extras. One class, one bean per {@link Dialect}:
 * <ul>
 *   <li>{@link Dialect#OPENAI} (route {@code openai}): {@code openai/} and bare OpenAI names (default
 *       {@code https://api.openai.com/v1}, key {@code OPENAI_API_KEY}, {@code organization} /
 *       {@code OPENAI_ORGANIZATION} as {@code OpenAI-Organization}), and any OpenAI-compatible server given an
 *       {@code api_base}: {@code hosted_vllm/} ({@code HOSTED_VLLM_API_BASE}, {@code HOSTED_VLLM_API_KEY}),
 *       {@code infinity/} ({@code INFINITY_API_BASE}, {@code INFINITY_API_KEY}), {@code lm_studio/}
 *       ({@code LM_STUDIO_API_BASE}, default {@code http://localhost:1234/v1}). The body is {@link OpenAiFormat}'s:
 *       {@code input} (token ids as they are for OpenAI and vLLM, decoded to text for the others),
 *       {@code model}, {@code encoding_format}, {@code dimensions} (unless {@code matryoshka: true}),
 *       {@code user}. OpenAI's models: 2048 inputs and 300,000 tokens per call, 8192 tokens per input (cl100k_base,
 *       exact), checked first; other servers: 128 inputs per call, their own limits.</li>
 *   <li>{@link Dialect#MISTRAL} ({@code mistral/mistral-embed}, {@code mistral/codestral-embed}; key
 *       {@code MISTRAL_API_KEY}, {@code https://api.mistral.ai/v1}): {@code output_dimension} (codestral-embed only,
 *       from {@code dimensions}), {@code output_dtype} (float only); 128 inputs per call.</li>
 *   <li>{@link Dialect#JINA} ({@code jina_ai/...}; {@code JINA_AI_API_KEY}, {@code https://api.jina.ai/v1}):
 *       {@code task} (from {@code task} or {@code input_type}: retrieval.query, retrieval.passage, text-matching,
 *       classification, separation, code.query), {@code dimensions}, {@code late_chunking}, {@code normalized},
 *       {@code truncate}, {@code embedding_type: float}; 2048 inputs per call.</li>
 *   <li>{@link Dialect#NIM} ({@code nvidia_nim/...}; {@code NVIDIA_NIM_API_KEY},
 *       {@code https://integrate.api.nvidia.com/v1}, {@code NVIDIA_NIM_API_BASE} for a self-hosted NIM):
 *       {@code input_type} query | passage (from any spelling), {@code truncate} NONE | START | END,
 *       {@code dimensions}, {@code encoding_format: float}; 50 inputs per call.</li>
 *   <li>{@link Dialect#VOYAGE} ({@code voyage/...}; {@code VOYAGE_API_KEY}, {@code https://api.voyageai.com/v1}):
 *       {@code input_type} query | document, {@code truncation}, {@code output_dimension} (from
 *       {@code dimensions}: 256, 512, 1024, 2048), {@code output_dtype} (float only); 1000 inputs per call and 120k
 *       (voyage-3-large, voyage-code-3, ...), 320k (voyage-3.5, voyage-3) or 1M (the lite models) tokens per call
 *       (counted with cl100k_base, an estimate of Voyage's tokenizer). {@code voyage-multimodal-*} models go to
 *       {@code /multimodalembeddings} with {@code inputs: [{content: [{type: text | image_base64}]}]}, images up to
 *       20 MB; usage is {@code usage.total_tokens}.</li>
 * </ul>
 * Per-deployment defaults: each extra the client did not send is taken from {@code litellm_params} (see
 * ProviderAdapter.forwardedFields). Errors: the shared mapping ({@code UpstreamErrors}).
 */
public final class OpenAiCompatibleAdapter extends HttpJsonAdapter {

    /** The providers (and their documented extras) this class speaks for. */
    public enum Dialect {
        OPENAI(Provider.OPENAI), MISTRAL(Provider.MISTRAL), JINA(Provider.JINA_AI), NIM(Provider.NVIDIA_NIM),
        VOYAGE(Provider.VOYAGE);

        final Provider provider;

        Dialect(Provider provider) {
            this.provider = provider;
        }
    }

    static final Set<Integer> VOYAGE_DIMENSIONS = Set.of(256, 512, 1024, 2048);
    /** Voyage multimodal: each image at most 20 MB. */
    static final long VOYAGE_IMAGE_BYTES = 20L * 1024 * 1024;

    private final Dialect dialect;

    public OpenAiCompatibleAdapter(Dialect dialect, Function<String, String> env) {
        super(dialect.provider, env);
        this.dialect = dialect;
    }

    public Dialect dialect() {
        return dialect;
    }

    /** Whether the deployment is OpenAI's own API with one of its embedding models (OpenAI's limits apply). */
    private static boolean openAiModel(Deployment d) {
        String m = d.upstreamModel().toLowerCase(Locale.ROOT);
        return d.provider() == Provider.OPENAI && (m.startsWith("text-embedding-") || m.contains("ada-002"));
    }

    private static boolean multimodal(Deployment d) {
        return d.provider() == Provider.VOYAGE && d.upstreamModel().toLowerCase(Locale.ROOT).contains("multimodal");
    }

    @Override
    protected Target resolve(Deployment d) {
        Map<String, String> headers = new HashMap<>();
        String base;
        String key;
        switch (d.provider()) {
            case OPENAI -> {
                base = apiBase(d, "https://api.openai.com/v1", "OPENAI_API_BASE", "OPENAI_BASE_URL");
                key = apiKey(d, "OPENAI_API_KEY");
                String org = d.string("organization") != null ? d.string("organization")
                        : env.apply("OPENAI_ORGANIZATION");
                if (!blank(org)) {
                    headers.put("OpenAI-Organization", org.trim());
                }
            }
            case HOSTED_VLLM -> {
                base = apiBase(d, null, "HOSTED_VLLM_API_BASE");
                key = apiKey(d, "HOSTED_VLLM_API_KEY");
            }
            case INFINITY -> {
                base = apiBase(d, null, "INFINITY_API_BASE");
                key = apiKey(d, "INFINITY_API_KEY");
            }
            case LM_STUDIO -> {
                base = apiBase(d, "http://localhost:1234/v1", "LM_STUDIO_API_BASE");
                key = apiKey(d, "LM_STUDIO_API_KEY");
            }
            case MISTRAL -> {
                base = apiBase(d, "https://api.mistral.ai/v1", "MISTRAL_API_BASE");
                key = apiKey(d, "MISTRAL_API_KEY");
            }
            case JINA_AI -> {
                base = apiBase(d, "https://api.jina.ai/v1", "JINA_AI_API_BASE");
                key = apiKey(d, "JINA_AI_API_KEY");
            }
            case NVIDIA_NIM -> {
                base = apiBase(d, "https://integrate.api.nvidia.com/v1", "NVIDIA_NIM_API_BASE");
                key = apiKey(d, "NVIDIA_NIM_API_KEY");
            }
            case VOYAGE -> {
                base = apiBase(d, "https://api.voyageai.com/v1", "VOYAGE_API_BASE");
                key = apiKey(d, "VOYAGE_API_KEY");
            }
            default -> throw new ConfigException("model_list entry '" + d.modelName() + "': provider "
                    + d.provider().prefix() + " is not an OpenAI-format provider");
        }
        if (key == null && (d.provider() == Provider.OPENAI && d.string("api_base") == null
                || d.provider() == Provider.MISTRAL || d.provider() == Provider.JINA_AI
                || d.provider() == Provider.VOYAGE)) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': " + d.provider().prefix()
                    + " needs litellm_params.api_key (or its environment variable)");
        }
        String path = Urls.path(base).replaceAll("/+$", "");
        String url = path.endsWith("/embeddings") ? base
                : Urls.appendPath(base, multimodal(d) ? "multimodalembeddings" : "embeddings");
        return new Target(url, key, Map.copyOf(headers));
    }

    @Override
    protected int defaultBatchSize(Deployment d) {
        return switch (dialect) {
            case OPENAI -> d.provider() == Provider.OPENAI ? 2048 : 128;
            case MISTRAL -> 128;
            case JINA -> 2048;
            case NIM -> 50;
            case VOYAGE -> 1000;
        };
    }

    @Override
    protected boolean acceptsTokenIds(Deployment d) {
        return d.provider() == Provider.OPENAI || d.provider() == Provider.HOSTED_VLLM;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        if (d.bool("matryoshka", false)) {
            return false;
        }
        return dialect != Dialect.MISTRAL || d.upstreamModel().toLowerCase(Locale.ROOT).contains("codestral");
    }

    @Override
    protected Set<String> forwardedFields(Deployment d) {
        return switch (dialect) {
            case OPENAI -> Set.of();
            case MISTRAL -> Set.of("output_dtype");
            case JINA -> Set.of("task", "input_type", "late_chunking", "normalized", "truncate");
            case NIM -> Set.of("input_type", "truncate");
            case VOYAGE -> Set.of("input_type", "truncation", "output_dtype");
        };
    }

    @Override
    protected InputLimits inputLimits(Deployment d) {
        return openAiModel(d) ? AzureAdapter.OPENAI_LIMITS : InputLimits.NONE;
    }

    @Override
    protected int maxBatchTokens(Deployment d) {
        if (openAiModel(d)) {
            return AzureAdapter.OPENAI_REQUEST_TOKENS;
        }
        if (dialect == Dialect.VOYAGE) {
            String m = d.upstreamModel().toLowerCase(Locale.ROOT);
            return m.contains("lite") ? 1_000_000 : m.matches("voyage-3(\\.5)?") ? 320_000 : 120_000;
        }
        return 0;
    }

    @Override
    protected long imageMaxBytes(Deployment d) {
        return multimodal(d) ? VOYAGE_IMAGE_BYTES : 0;
    }

    @Override
    protected int imageBatchSize(Deployment d) {
        return multimodal(d) ? 1000 : 1;
    }

    /** Types of the forwarded extras, and Voyage's dimensions; GatewayException 400 naming the field. */
    @Override
    protected void validate(EmbeddingCall call) {
        Map<String, JsonNode> x = call.request().extras();
        switch (dialect) {
            case OPENAI -> {
            }
            case MISTRAL -> floatOnly(x, "output_dtype");
            case JINA -> {
                bool(x, "late_chunking");
                bool(x, "normalized");
                bool(x, "truncate");
                jinaTask(call.request());
            }
            case NIM -> {
                nimInputType(call.request());
                JsonNode t = x.get("truncate");
                if (t != null && !(t.isTextual() && Set.of("NONE", "START", "END").contains(t.asText()))) {
                    throw GatewayException.invalid("truncate", "truncate must be NONE, START or END.");
                }
            }
            case VOYAGE -> {
                bool(x, "truncation");
                floatOnly(x, "output_dtype");
                voyageInputType(call.request());
                Integer dim = call.request().dimensions();
                if (dim != null && forwardsDimensions(call.deployment()) && !VOYAGE_DIMENSIONS.contains(dim)) {
                    throw GatewayException.invalid("dimensions", "Model '" + call.deployment().modelName()
                            + "' supports dimensions 256, 512, 1024, 2048, not " + dim + ".");
                }
            }
        }
    }

    private static void bool(Map<String, JsonNode> x, String f) {
        JsonNode v = x.get(f);
        if (v != null && !v.isBoolean()) {
            throw GatewayException.invalid(f, f + " must be a boolean.");
        }
    }

    private static void floatOnly(Map<String, JsonNode> x, String f) {
        JsonNode v = x.get(f);
        if (v != null && !"float".equals(v.asText())) {
            throw GatewayException.invalid(f, f + " must be float: the gateway returns float32 vectors (use "
                    + "encoding_format for base64).");
        }
    }

    private static String jinaTask(EmbeddingRequest r) {
        InputTypes t = InputTypes.of(r.extras(), "task", "input_type");
        return t == null ? null : t.as(r.extras().containsKey("task") ? "task" : "input_type", "Jina",
                "retrieval.query", "retrieval.passage", "classification", "separation", "text-matching",
                "code.query", null, null);
    }

    private static String nimInputType(EmbeddingRequest r) {
        InputTypes t = InputTypes.of(r.extras(), "input_type");
        return t == null ? null : t.as("input_type", "NVIDIA NIM", "query", "passage");
    }

    private static String voyageInputType(EmbeddingRequest r) {
        InputTypes t = InputTypes.of(r.extras(), "input_type");
        return t == null ? null : t.as("input_type", "Voyage", "query", "document");
    }

    @Override
    protected byte[] body(Batch batch, EmbeddingCall call) {
        Deployment d = call.deployment();
        EmbeddingRequest r = call.request();
        if (dialect == Dialect.OPENAI) {
            return OpenAiFormat.request(batch, r, d.upstreamModel(), forwardsDimensions(d));
        }
        Map<String, JsonNode> x = r.extras();
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeStringField("model", d.upstreamModel());
            if (multimodal(d)) {
                g.writeArrayFieldStart("inputs");
                for (String t : batch.texts()) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("content");
                    g.writeStartObject();
                    if (ImageInputs.isImage(t)) {
                        g.writeStringField("type", "image_base64");
                        g.writeStringField("image_base64", t);
                    } else {
                        g.writeStringField("type", "text");
                        g.writeStringField("text", t);
                    }
                    g.writeEndObject();
                    g.writeEndArray();
                    g.writeEndObject();
                }
            } else {
                g.writeArrayFieldStart("input");
                for (String t : batch.texts()) {
                    g.writeString(t);
                }
            }
            g.writeEndArray();
            boolean dims = r.dimensions() != null && forwardsDimensions(d);
            switch (dialect) {
                case MISTRAL -> {
                    if (dims) {
                        g.writeNumberField("output_dimension", r.dimensions());
                    }
                    copy(g, x, "output_dtype");
                }
                case JINA -> {
                    String task = jinaTask(r);
                    if (task != null) {
                        g.writeStringField("task", task);
                    }
                    if (dims) {
                        g.writeNumberField("dimensions", r.dimensions());
                    }
                    copy(g, x, "late_chunking");
                    copy(g, x, "normalized");
                    copy(g, x, "truncate");
                    g.writeStringField("embedding_type", "float");
                }
                case NIM -> {
                    String type = nimInputType(r);
                    if (type != null) {
                        g.writeStringField("input_type", type);
                    }
                    copy(g, x, "truncate");
                    if (dims) {
                        g.writeNumberField("dimensions", r.dimensions());
                    }
                    g.writeStringField("encoding_format", "float");
                }
                case VOYAGE -> {
                    String type = voyageInputType(r);
                    if (type != null) {
                        g.writeStringField("input_type", type);
                    }
                    copy(g, x, "truncation");
                    if (dims && !multimodal(d)) {
                        g.writeNumberField("output_dimension", r.dimensions());
                    }
                    if (!multimodal(d)) {
                        copy(g, x, "output_dtype");
                    }
                }
                default -> {
                }
            }
            if (r.user() != null && dialect == Dialect.NIM) {
                g.writeStringField("user", r.user());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void copy(JsonGenerator g, Map<String, JsonNode> x, String field) throws IOException {
        JsonNode v = x.get(field);
        if (v != null && !v.isNull()) {
            g.writeFieldName(field);
            g.writeTree(v);
        }
    }

    @Override
    protected BatchResult parse(byte[] body, Batch batch, EmbeddingCall call) {
        String name = call.deployment().provider().displayName();
        BatchResult r = OpenAiFormat.response(body, batch, name);
        if (dialect == Dialect.VOYAGE) {
            Answer usage = UpstreamJson.read(body, name, OpenAiCompatibleAdapter::voyageUsage);
            if (usage.tokens >= 0) {
                return new BatchResult(r.offset(), r.vectors(), usage.tokens);
            }
        }
        return r;
    }

    /** Voyage reports {@code usage.total_tokens} only (the body was read as OpenAI's format already). */
    private static boolean voyageUsage(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if (!"usage".equals(f) || v != JsonToken.START_OBJECT) {
            return false;
        }
        Integer total = UpstreamJson.field(p, "total_tokens", JsonToken.VALUE_NUMBER_INT, JsonParser::getIntValue);
        if (total != null) {
            a.tokens = total;
        }
        return true;
    }
}
