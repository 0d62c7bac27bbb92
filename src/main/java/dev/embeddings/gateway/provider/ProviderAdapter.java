package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What every provider adapter shares; each provider route calls the same steps in the same order:
 * <pre>
 *   plan      EmbeddingCall → waves of Batches (validate, decode token ids if the upstream needs text)
 *   split (waves, sequential) → split (batches, parallel, aggregated by BatchCollector)
 *       request   Batch → upstream request (body + headers), exchange property upstreamEndpoint
 *       (call)    toD the endpoint (camel-http / aws-bedrock) or the SDK client
 *       response  upstream answer → BatchResult, non-2xx → mapped GatewayException
 *   finish    BatchCollector → EmbeddingResult (matryoshka truncation where configured)
 * </pre>
 * A wave holds at most {@code litellm_params.max_parallel_requests} (default 8) batches, which bounds the
 * request's concurrent upstream calls; a batch holds at most {@code litellm_params.max_batch_size} inputs
 * (default per provider).
 */
public abstract class ProviderAdapter {

    /** Exchange property: the Camel endpoint URI of the chosen deployment's upstream. */
    public static final String UPSTREAM_ENDPOINT = "upstreamEndpoint";
    public static final int DEFAULT_MAX_PARALLEL = 8;
    /** Exchange property with the request's System.nanoTime() deadline (DeploymentRouter.DEADLINE). */
    public static final String DEADLINE_PROPERTY = "deadlineNanos";
    /** LiteLLM's default request timeout: 600 s. */
    public static final long DEFAULT_TIMEOUT_MS = 600_000;

    private final BatchCollector collector = new BatchCollector();
    private final Provider provider;
    private volatile long defaultTimeoutMs = DEFAULT_TIMEOUT_MS;

    protected ProviderAdapter(Provider provider) {
        this.provider = provider;
    }

    /** The provider this adapter was made for (its route serves every prefix with the same route name). */
    public final Provider provider() {
        return provider;
    }

    /** The provider's display name for error messages, e.g. {@code Azure OpenAI}. */
    public final String displayName() {
        return provider.displayName();
    }

    /** Inputs per upstream call when the deployment sets no {@code max_batch_size}. */
    protected abstract int defaultBatchSize(Deployment d);

    /** Whether the upstream takes token-id inputs as they are (else they are decoded with cl100k_base). */
    protected boolean acceptsTokenIds(Deployment d) {
        return false;
    }

    /** Whether {@code dimensions} is sent upstream (else only matryoshka truncation or the native size). */
    protected boolean forwardsDimensions(Deployment d) {
        return false;
    }

    /** Provider-specific checks before any upstream call; throws GatewayException 400. */
    protected void validate(EmbeddingCall call) {
    }

    /**
     * Checks a deployment's provider-specific params and builds its clients, once at start. Throws
     * ConfigException for a bad value.
     */
    public void prepare(Deployment d) {
    }

    /** Releases clients built by {@link #prepare}. */
    public void close() {
    }

    /** The global default for deployments without {@code litellm_params.timeout}. */
    public void setDefaultTimeoutMs(long ms) {
        this.defaultTimeoutMs = ms;
    }

    /** The deployment's per-call timeout in ms: {@code litellm_params.timeout} (seconds) or the global default. */
    public long timeoutMs(Deployment d) {
        Double s = d.number("timeout");
        return s == null ? defaultTimeoutMs : Math.max(1, (long) (s * 1000));
    }

    /**
     * Request fields this provider forwards (beyond {@code input}, {@code dimensions}, {@code user}): a field the
     * client did not send takes the deployment's {@code litellm_params} value of the same name (a per-deployment
     * default such as {@code truncate} or {@code input_type}).
     */
    protected java.util.Set<String> forwardedFields(Deployment d) {
        return java.util.Set.of();
    }

    /** The provider's documented per-input limits for the deployment, checked before any call. */
    protected InputLimits inputLimits(Deployment d) {
        return InputLimits.NONE;
    }

    /**
     * The largest image (decoded bytes) the deployment's model embeds, or 0 when it embeds no images (an image input
     * is then a 400 naming the model).
     */
    protected long imageMaxBytes(Deployment d) {
        return 0;
    }

    /** Inputs per call for image inputs, which then never share a call with texts; 1 unless the API takes more. */
    protected int imageBatchSize(Deployment d) {
        return 1;
    }

    /**
     * The byte budget of one upstream call's inputs (UTF-8 text, token ids at 6 bytes, images as sent) when the
     * deployment sets no {@code max_batch_bytes}; 0 = no budget. A single input over the budget gets a call of its
     * own (the per-input limits decide whether it may be sent at all).
     */
    protected long defaultMaxBatchBytes(Deployment d) {
        return 0;
    }

    /** Tokens (cl100k_base) one upstream call may carry, where the provider documents a per-request limit; 0 = none. */
    protected int maxBatchTokens(Deployment d) {
        return 0;
    }

    /**
     * Camel entry: body = anything, property embeddingCall. Checks the request against the deployment before any
     * upstream call (dimensions, images, per-input limits, provider checks; GatewayException 400), sets the
     * effective call (the client's fields, and the deployment's defaults for the {@link #forwardedFields} it did not
     * send) as the {@code embeddingCall} property, and returns waves (lists) of batches covering the inputs in
     * order, each batch within the count ({@code max_batch_size}), byte ({@code max_batch_bytes}) and token limits;
     * sets the BatchCollector slots for them.
     */
    public List<List<Batch>> plan(Exchange exchange) {
        EmbeddingCall call = withDefaults(exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class));
        exchange.setProperty(EmbeddingCall.PROPERTY, call);
        Deployment d = call.deployment();
        validate(call);
        if (!forwardsDimensions(d)) {
            Object size = d.modelInfo().get("output_vector_size");
            Dimensions.check(call.request().dimensions(), d, size instanceof Integer n ? n : 0);
        }
        List<String> texts = call.request().texts();
        List<int[]> ids = call.request().tokenIds();
        if (ids != null && !acceptsTokenIds(d)) {
            texts = Cl100k.decode(ids);
            ids = null;
        }
        long imageMax = imageMaxBytes(d);
        boolean images = ImageInputs.any(texts);
        if (images) {
            for (int i = 0; i < texts.size(); i++) {
                if (ImageInputs.isImage(texts.get(i))) {
                    if (imageMax <= 0) {
                        throw GatewayException.invalid("input", "Model '" + d.modelName() + "' does not accept "
                                + "image inputs (input[" + i + "] is an image).");
                    }
                    ImageInputs.parse(texts.get(i), i, imageMax, d.modelName());
                }
            }
        }
        inputLimits(d).check(texts, ids, d.modelName());
        int n = texts != null ? texts.size() : ids.size();
        Integer configured = d.integer("max_batch_size");
        int batchSize = configured != null ? configured : defaultBatchSize(d);
        Integer par = d.integer("max_parallel_requests");
        int parallel = par != null ? par : DEFAULT_MAX_PARALLEL;
        Double bytesConfigured = d.number("max_batch_bytes");
        long maxBytes = bytesConfigured != null ? bytesConfigured.longValue() : defaultMaxBatchBytes(d);
        int maxTokens = maxBatchTokens(d);

        long[] size = new long[n];
        long totalBytes = 0;
        for (int i = 0; i < n; i++) {
            size[i] = texts != null ? InputLimits.utf8Length(texts.get(i)) : 6L * ids.get(i).length;
            totalBytes += size[i];
        }
        // tokens are only counted when the request could exceed the per-call budget (a token is at least one byte)
        int[] tokens = null;
        if (maxTokens > 0 && totalBytes > maxTokens) {
            tokens = new int[n];
            for (int i = 0; i < n; i++) {
                tokens[i] = texts == null ? ids.get(i).length
                        : ImageInputs.isImage(texts.get(i)) ? 0 : Cl100k.count(texts.get(i));
            }
        }
        int imageBatch = Math.max(1, Math.min(batchSize, imageBatchSize(d)));

        List<List<Batch>> waves = new ArrayList<>();
        List<Batch> wave = new ArrayList<>();
        int from = 0;
        while (from < n) {
            boolean image = images && ImageInputs.isImage(texts.get(from));
            int limit = image ? imageBatch : batchSize;
            int to = from + 1;
            long bytes = size[from];
            long tok = tokens == null ? 0 : tokens[from];
            while (to < n && to - from < limit
                    && (!images || ImageInputs.isImage(texts.get(to)) == image)
                    && (maxBytes <= 0 || bytes + size[to] <= maxBytes)
                    && (tokens == null || tok + tokens[to] <= maxTokens)) {
                bytes += size[to];
                tok += tokens == null ? 0 : tokens[to];
                to++;
            }
            wave.add(texts != null ? new Batch(from, texts.subList(from, to), null)
                    : new Batch(from, null, ids.subList(from, to)));
            if (wave.size() == parallel) {
                waves.add(wave);
                wave = new ArrayList<>();
            }
            from = to;
        }
        if (!wave.isEmpty()) {
            waves.add(wave);
        }
        exchange.setProperty(BatchCollector.PROPERTY, new BatchCollector.Results(n));
        return waves;
    }

    /**
     * The call with the deployment's {@code litellm_params} value for each {@link #forwardedFields} field the client
     * did not send (strings, numbers and booleans as JSON values); the call itself when nothing is added.
     */
    EmbeddingCall withDefaults(EmbeddingCall call) {
        Deployment d = call.deployment();
        java.util.Set<String> fields = forwardedFields(d);
        if (fields.isEmpty()) {
            return call;
        }
        EmbeddingRequest r = call.request();
        java.util.Map<String, JsonNode> extras = null;
        for (String f : fields) {
            Object v = d.params().get(f);
            if (v == null || (r.extras() != null && r.extras().containsKey(f))) {
                continue;
            }
            if (extras == null) {
                extras = new java.util.LinkedHashMap<>(r.extras() == null ? java.util.Map.of() : r.extras());
            }
            extras.put(f, DEFAULTS.valueToTree(v));
        }
        if (extras == null) {
            return call;
        }
        return new EmbeddingCall(new EmbeddingRequest(r.model(), r.texts(), r.tokenIds(), r.encodingFormat(),
                r.dimensions(), r.user(), java.util.Map.copyOf(extras)), d);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper DEFAULTS =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /**
     * Camel entry after the split: the EmbeddingResult in input order, truncated and re-normalised to
     * {@code dimensions} for a matryoshka deployment that does not forward it. Throws GatewayException 502
     * {@code upstream_bad_response} when an upstream that was sent {@code dimensions} answered with another length.
     */
    public EmbeddingResult finish(Exchange exchange) {
        EmbeddingResult r = collector.result(exchange);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        Integer wanted = call.request().dimensions();
        if (forwardsDimensions(call.deployment())) {
            if (wanted != null && r.size() > 0 && r.dimensions() != wanted) {
                throw BatchCollector.bad("embeddings of " + r.dimensions() + " dimensions, when "
                        + wanted + " were asked for");
            }
            return r;
        }
        if (wanted == null || r.size() == 0 || r.dimensions() == wanted) {
            return r; // unchanged: base64-held vectors stay as the upstream sent them
        }
        return new EmbeddingResult(Dimensions.truncate(r.vectors(), wanted), r.promptTokens());
    }

    /** The call of the exchange (every split sub-exchange carries it). */
    protected static EmbeddingCall call(Exchange exchange) {
        return exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
    }

    /**
     * For camel-http upstreams (called with throwExceptionOnFailure=false): the 2xx body as bytes, decoded when the
     * upstream compressed it anyway ({@link ContentEncodings}: gzip/deflate, bounded; other codings 502), or throws
     * the mapped GatewayException for any other status.
     */
    protected byte[] httpBody(Exchange exchange) {
        Message m = exchange.getMessage();
        Integer status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        byte[] body = m.getBody(byte[].class);
        String name = upstreamName(exchange);
        if (status == null || status < 200 || status > 299) {
            byte[] decoded;
            try {
                decoded = ContentEncodings.decode(body, m.getHeader("Content-Encoding", String.class), name, 65536);
            } catch (GatewayException e) {
                decoded = null;
            }
            throw upstreamError(exchange, status == null ? 502 : status, decoded, m.getHeader("Retry-After",
                    String.class));
        }
        body = ContentEncodings.decode(body, m.getHeader("Content-Encoding", String.class), name,
                ContentEncodings.MAX_DECODED_BYTES);
        if (body == null || body.length == 0) {
            throw UpstreamErrors.unparseable(name, "empty body");
        }
        return body;
    }

    /** The display name of the provider of the exchange's deployment (e.g. vLLM on the shared OpenAI route). */
    protected static String upstreamName(Exchange exchange) {
        return call(exchange).deployment().provider().displayName();
    }

    /**
     * Sets what every camel-http upstream call carries: POST, {@code Content-Type} and {@code Accept}
     * {@code application/json}, and {@code Accept-Encoding: identity} (the gateway decodes gzip/deflate that comes
     * anyway, within a bound, see {@link #httpBody}; camel-http's own unbounded gzip decoding is turned off).
     */
    protected static void jsonPost(Message m) {
        m.setHeader(Exchange.HTTP_METHOD, "POST");
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        m.setHeader("Accept", "application/json");
        m.setHeader("Accept-Encoding", "identity");
        // camel-http would otherwise inflate a gzip answer itself, with no bound (GZIPHelper): httpBody decodes it
        m.getExchange().setProperty(Exchange.SKIP_GZIP_ENCODING, true);
    }

    /** The mapped error for a non-2xx upstream answer; adapters may override for provider specifics. */
    protected GatewayException upstreamError(Exchange exchange, int status, byte[] body, String retryAfter) {
        return UpstreamErrors.fromStatus(upstreamName(exchange), call(exchange).deployment(), status, body,
                exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, String.class), retryAfter);
    }

    /**
     * This attempt's timeout in ms: the deployment's {@link #timeoutMs}, cut to what is left of the request's
     * deadline (exchange property {@code deadlineNanos}, set by the router), rounded down to whole seconds (tenths
     * under a second, at least 100 ms) so that an attempt never outlives the deadline.
     */
    protected long attemptTimeoutMs(Exchange exchange, Deployment d) {
        long t = timeoutMs(d);
        Long deadline = exchange.getProperty(DEADLINE_PROPERTY, Long.class);
        if (deadline != null) {
            long remaining = (deadline - System.nanoTime()) / 1_000_000;
            if (remaining < t) {
                t = remaining >= 1000 ? remaining / 1000 * 1000 : Math.max(100, remaining / 100 * 100);
            }
        }
        return t;
    }

    /**
     * The camel-http endpoint URI for an upstream URL (which may carry its own query): no exception on non-2xx
     * (the adapter maps statuses), and this attempt's connect/response timeouts. toD caches one endpoint per
     * distinct URI, so a deployment has at most one per whole second of timeout (plus ten under a second).
     */
    protected String httpEndpoint(Exchange exchange, Deployment d, String url) {
        long t = attemptTimeoutMs(exchange, d);
        return url + (url.indexOf('?') >= 0 ? "&" : "?") + "throwExceptionOnFailure=false&connectTimeout="
                + Math.min(t, 30_000) + "&responseTimeout=" + t + "&soTimeout=" + t + "&connectionRequestTimeout=" + t;
    }

    protected static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
