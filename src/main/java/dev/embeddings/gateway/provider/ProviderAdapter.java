package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
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
     * Camel entry: body = anything, property embeddingCall. Returns waves (lists) of batches covering the inputs in
     * order, and sets the BatchCollector slots for them. Throws GatewayException 400 before any upstream call for
     * an unsupported {@code dimensions} or token id.
     */
    public List<List<Batch>> plan(Exchange exchange) {
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        Deployment d = call.deployment();
        validate(call);
        if (!forwardsDimensions(d)) {
            Dimensions.check(call.request().dimensions(), d, 0);
        }
        List<String> texts = call.request().texts();
        List<int[]> ids = call.request().tokenIds();
        if (ids != null && !acceptsTokenIds(d)) {
            texts = Cl100k.decode(ids);
            ids = null;
        }
        int n = texts != null ? texts.size() : ids.size();
        Integer configured = d.integer("max_batch_size");
        int batchSize = configured != null ? configured : defaultBatchSize(d);
        Integer par = d.integer("max_parallel_requests");
        int parallel = par != null ? par : DEFAULT_MAX_PARALLEL;

        List<List<Batch>> waves = new ArrayList<>();
        List<Batch> wave = new ArrayList<>(Math.min(parallel, (n + batchSize - 1) / batchSize));
        for (int from = 0; from < n; from += batchSize) {
            int to = Math.min(n, from + batchSize);
            wave.add(texts != null ? new Batch(from, texts.subList(from, to), null)
                    : new Batch(from, null, ids.subList(from, to)));
            if (wave.size() == parallel) {
                waves.add(wave);
                wave = new ArrayList<>();
            }
        }
        if (!wave.isEmpty()) {
            waves.add(wave);
        }
        exchange.setProperty(BatchCollector.PROPERTY, new BatchCollector.Results(n));
        return waves;
    }

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
     * For camel-http upstreams (called with throwExceptionOnFailure=false): the 2xx body as bytes, or throws the
     * mapped GatewayException for any other status.
     */
    protected byte[] httpBody(Exchange exchange) {
        Message m = exchange.getMessage();
        Integer status = m.getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class);
        byte[] body = m.getBody(byte[].class);
        if (status == null || status < 200 || status > 299) {
            throw upstreamError(exchange, status == null ? 502 : status, body, m.getHeader("Retry-After", String.class));
        }
        if (body == null || body.length == 0) {
            throw UpstreamErrors.unparseable(displayName(), "empty body");
        }
        return body;
    }

    /** The mapped error for a non-2xx upstream answer; adapters may override for provider specifics. */
    protected GatewayException upstreamError(Exchange exchange, int status, byte[] body, String retryAfter) {
        return UpstreamErrors.fromStatus(displayName(), call(exchange).deployment(), status, body, retryAfter);
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
