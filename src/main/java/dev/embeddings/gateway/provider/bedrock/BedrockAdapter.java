package dev.embeddings.gateway.provider.bedrock;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.provider.AwsClients;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.aws2.bedrock.runtime.BedrockConstants;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeAsyncClient;
import software.amazon.awssdk.services.bedrockruntime.BedrockRuntimeClient;
import software.amazon.awssdk.services.bedrockruntime.model.InvokeModelResponse;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Amazon Bedrock ({@code bedrock/<model id>}), over the {@code aws-bedrock} Camel component (operation
 * {@code invokeEmbeddingsModel}, i.e. InvokeModel: {@code POST /model/{modelId}/invoke}, SigV4 service
 * {@code bedrock}).
 * <ul>
 *   <li>Model families and bodies: {@link BedrockFamily} (Titan v1/G1, Titan v2, Cohere v3, Cohere v4). Any other
 *       model id is a ConfigException at start.</li>
 *   <li>Client: one {@code BedrockRuntimeClient} per deployment, built at start by {@link AwsClients} (region,
 *       credentials, endpoint override {@code api_base} / {@code aws_bedrock_runtime_endpoint} /
 *       {@code AWS_ENDPOINT_URL_BEDROCK_RUNTIME}, timeouts, no SDK retries) and bound in the Camel registry as
 *       {@code bedrockRuntimeClient<n>} once the CamelContext exists ({@link #setCamelContext}); the deployment's
 *       endpoint URI references it with {@code bedrockRuntimeClient=#bedrockRuntimeClient<n>}. The component also
 *       starts an async client for its streaming operations on every endpoint, and would build one from the SDK's
 *       default region chain (probing the EC2 metadata service) when none is given; it gets
 *       {@value #NO_ASYNC_CLIENT}, a placeholder that holds no resources and refuses every call, since
 *       invokeEmbeddingsModel only uses the sync client.</li>
 *   <li>Batches: 1 input per call for Titan (the calls of a request run in parallel, up to
 *       {@code max_parallel_requests} at a time), up to 96 for Cohere; {@code max_batch_size} may lower it.</li>
 *   <li>{@code dimensions}: sent to Titan v2 (256 | 512 | 1024) and Cohere v4 (256 | 512 | 1024 | 1536), any
 *       other value is a 400 before any call; other families only with {@code matryoshka: true}.</li>
 *   <li>Request extras that reach Bedrock: Titan v2 {@code normalize} (default true); Cohere {@code input_type}
 *       (default {@code search_document}) and {@code truncate}. Nothing else.</li>
 *   <li>Usage: Titan's {@code inputTextTokenCount}, else Bedrock's {@code X-Amzn-Bedrock-Input-Token-Count}
 *       header, else cl100k_base's count.</li>
 *   <li>Errors: the SDK's exceptions propagate from the call step and are mapped by {@link UpstreamErrors}
 *       (ValidationException 400, "Too many input tokens" 400 context_length_exceeded, AccessDenied 403,
 *       ResourceNotFound 404, Throttling 429, ModelTimeout 504, ModelError 424 and 5xx 502, connection failures
 *       502, timeouts 504); an unreadable answer is 502. SDK retries are off: one failed call fails the
 *       request.</li>
 * </ul>
 */
public final class BedrockAdapter extends ProviderAdapter implements CamelContextAware {

    /** Endpoint override keys, in order of precedence. */
    static final List<String> ENDPOINT_KEYS = List.of("api_base", "aws_bedrock_runtime_endpoint");
    static final List<String> ENDPOINT_ENV = List.of("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL");
    private static final String BATCH_PROPERTY = "batch";
    private static final String TOKEN_COUNT_HEADER = "X-Amzn-Bedrock-Input-Token-Count";
    /** Registry name of the placeholder async client every endpoint references. */
    static final String NO_ASYNC_CLIENT = "bedrockNoAsyncClient";
    private static final BedrockRuntimeAsyncClient NO_STREAMING = new BedrockRuntimeAsyncClient() {
        @Override
        public String serviceName() {
            return SERVICE_NAME;
        }

        @Override
        public void close() {
        }
    };

    /** What prepare() built for one deployment. */
    private record Target(BedrockFamily family, BedrockRuntimeClient client, AwsClients.Settings settings,
                          String clientBean, String endpointUri) {
    }

    private final Function<String, String> env;
    private final Map<Deployment, Target> targets = new ConcurrentHashMap<>();
    private final AtomicInteger sequence = new AtomicInteger();
    private volatile CamelContext camelContext;

    public BedrockAdapter(Function<String, String> env) {
        super(Provider.BEDROCK);
        this.env = env;
    }


    @Override
    protected int defaultBatchSize(Deployment d) {
        return target(d).family().maxBatch();
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return target(d).family().forwardsDimensions();
    }

    @Override
    protected java.util.Set<String> forwardedFields(Deployment d) {
        return target(d).family().extras();
    }

    @Override
    protected dev.embeddings.gateway.provider.InputLimits inputLimits(Deployment d) {
        return target(d).family().inputLimits();
    }

    @Override
    protected long imageMaxBytes(Deployment d) {
        return target(d).family().imageMaxBytes();
    }

    @Override
    protected void validate(EmbeddingCall call) {
        target(call.deployment()).family().validate(call.request(), call.deployment().modelName());
    }

    /**
     * Resolves the model family and builds the deployment's client and endpoint URI. Throws ConfigException for
     * an unknown model family, a {@code max_batch_size} above the family's limit, or bad AWS settings.
     */
    @Override
    public void prepare(Deployment d) {
        BedrockFamily family = BedrockFamily.of(d.upstreamModel());
        if (family == null) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': unknown Bedrock embedding model '"
                    + d.upstreamModel() + "' (supported: amazon.titan-embed-text-v1, amazon.titan-embed-g1-text-02, "
                    + "amazon.titan-embed-text-v2:0, amazon.titan-embed-image-v1, cohere.embed-english-v3, "
                    + "cohere.embed-multilingual-v3, cohere.embed-v4:0)");
        }
        Integer batch = d.integer("max_batch_size");
        if (batch != null && (batch < 1 || batch > family.maxBatch())) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': litellm_params.max_batch_size must "
                    + "be between 1 and " + family.maxBatch() + " for " + d.upstreamModel());
        }
        AwsClients.Settings settings = AwsClients.settings(d, env, timeoutMs(d), ENDPOINT_KEYS, ENDPOINT_ENV);
        BedrockRuntimeClient client = AwsClients.build(BedrockRuntimeClient.builder(), settings);
        int n = sequence.incrementAndGet();
        String bean = "bedrockRuntimeClient" + n;
        String uri = "aws-bedrock:embeddings-" + n + "?operation=invokeEmbeddingsModel"
                + "&modelId=RAW(" + d.upstreamModel() + ")&bedrockRuntimeClient=#" + bean
                + "&bedrockRuntimeAsyncClient=#" + NO_ASYNC_CLIENT;
        Target t = new Target(family, client, settings, bean, uri);
        targets.put(d, t);
        CamelContext ctx = camelContext;
        if (ctx != null) {
            bind(ctx, t);
        }
    }

    private static void bind(CamelContext ctx, Target t) {
        ctx.getRegistry().bind(NO_ASYNC_CLIENT, BedrockRuntimeAsyncClient.class, NO_STREAMING);
        ctx.getRegistry().bind(t.clientBean(), BedrockRuntimeClient.class, t.client());
    }

    /** Binds every prepared deployment's client into the context's registry (called by Gateway at configure). */
    @Override
    public void setCamelContext(CamelContext ctx) {
        this.camelContext = ctx;
        if (ctx != null) {
            targets.values().forEach(t -> bind(ctx, t));
        }
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void close() {
        targets.values().forEach(t -> {
            t.client().close();
            t.settings().close();
        });
        targets.clear();
    }

    /** The Camel endpoint URI of a prepared deployment (for tests and diagnostics). */
    public String endpointUri(Deployment d) {
        return target(d).endpointUri();
    }

    /**
     * Camel entry in the split: body = Batch → the family's JSON body as a String, the component's mandatory
     * content-type headers, exchange properties {@code batch} and {@code upstreamEndpoint}.
     */
    public void request(Exchange exchange) {
        EmbeddingCall call = call(exchange);
        Target t = target(call.deployment());
        Message m = exchange.getMessage();
        Batch batch = m.getBody(Batch.class);
        m.setBody(t.family().request(batch, call.request()));
        m.setHeader(BedrockConstants.MODEL_CONTENT_TYPE, "application/json");
        m.setHeader(BedrockConstants.MODEL_ACCEPT_CONTENT_TYPE, "application/json");
        exchange.setProperty(BATCH_PROPERTY, batch);
        exchange.setProperty(UPSTREAM_ENDPOINT, t.endpointUri());
    }

    /** Camel entry in the split: body = InvokeModelResponse → BatchResult; 502 for an unreadable answer. */
    public BatchResult response(Exchange exchange) {
        Target t = target(call(exchange).deployment());
        Object body = exchange.getMessage().getBody();
        if (!(body instanceof InvokeModelResponse r) || r.body() == null) {
            throw UpstreamErrors.unparseable(displayName(), "no InvokeModel response body");
        }
        Integer headerTokens = r.sdkHttpResponse() == null ? null : r.sdkHttpResponse()
                .firstMatchingHeader(TOKEN_COUNT_HEADER).map(BedrockAdapter::parseIntOrNull).orElse(null);
        return t.family().parse(r.body().asByteArrayUnsafe(), exchange.getProperty(BATCH_PROPERTY, Batch.class),
                headerTokens, displayName());
    }

    private Target target(Deployment d) {
        Target t = targets.get(d);
        if (t == null) {
            throw new IllegalStateException("Bedrock deployment not prepared: " + d);
        }
        return t;
    }

    private static Integer parseIntOrNull(String s) {
        try {
            return Integer.valueOf(s.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
