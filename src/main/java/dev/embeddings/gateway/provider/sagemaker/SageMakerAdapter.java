package dev.embeddings.gateway.provider.sagemaker;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.AwsClients;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.Exchange;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sagemakerruntime.SageMakerRuntimeClient;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointRequest;
import software.amazon.awssdk.services.sagemakerruntime.model.InvokeEndpointResponse;
import software.amazon.awssdk.services.sagemakerruntime.model.ModelErrorException;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Amazon SageMaker real-time endpoints ({@code sagemaker/<endpoint name>}), through the AWS SDK's
 * SageMakerRuntimeClient (there is no Camel component for it): InvokeEndpoint, i.e.
 * {@code POST /endpoints/{name}/invocations}, SigV4 service {@code sagemaker}, {@code Content-Type} and
 * {@code Accept} {@code application/json}.
 * <ul>
 *   <li>Body format: {@code litellm_params.sagemaker_format}, see {@link SageMakerFormat} ({@code text_inputs}
 *       default, {@code inputs}, {@code openai}); another value is a ConfigException at start.</li>
 *   <li>{@code inference_component}: sent as InferenceComponentName (header
 *       {@code X-Amzn-SageMaker-Inference-Component}) for endpoints hosting inference components.</li>
 *   <li>Client: one per deployment, built at start by {@link AwsClients} (region, credentials, endpoint override
 *       {@code api_base} / {@code AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME}, timeouts, no SDK retries).</li>
 *   <li>Batches of 32 inputs ({@code max_batch_size} may change it), up to {@code max_parallel_requests} calls at a
 *       time.</li>
 *   <li>{@code dimensions}: forwarded in the {@code openai} format unless the deployment is
 *       {@code matryoshka: true}; otherwise only with {@code matryoshka: true} (truncation by the gateway).</li>
 *   <li>Errors: mapped by {@link UpstreamErrors} (ValidationError 400, ModelNotReady 429, 5xx 502, timeouts 504);
 *       a ModelError (HTTP 424: the container answered an error) by the container's own status
 *       ({@code OriginalStatusCode}, 502 when absent) and message.</li>
 * </ul>
 */
public final class SageMakerAdapter extends ProviderAdapter {

    static final List<String> ENDPOINT_KEYS = List.of("api_base");
    static final List<String> ENDPOINT_ENV = List.of("AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", "AWS_ENDPOINT_URL");
    public static final int DEFAULT_BATCH = 32;
    private static final String BATCH_PROPERTY = "batch";
    private static final String JSON = "application/json";

    /** What prepare() built for one deployment. */
    private record Target(SageMakerFormat format, SageMakerRuntimeClient client, AwsClients.Settings settings,
                          String inferenceComponent) {
    }

    private final Function<String, String> env;
    private final Map<Deployment, Target> targets = new ConcurrentHashMap<>();

    public SageMakerAdapter(Function<String, String> env) {
        super(Provider.SAGEMAKER);
        this.env = env;
    }


    @Override
    protected int defaultBatchSize(Deployment d) {
        return DEFAULT_BATCH;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return target(d).format() == SageMakerFormat.OPENAI && !d.bool("matryoshka", false);
    }

    /** Checks {@code sagemaker_format} and builds the deployment's client. Throws ConfigException for bad values. */
    @Override
    public void prepare(Deployment d) {
        String name = d.string("sagemaker_format");
        SageMakerFormat format = name == null ? SageMakerFormat.TEXT_INPUTS : SageMakerFormat.of(name);
        if (format == null) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': unknown litellm_params.sagemaker_format '"
                    + name + "' (known: " + SageMakerFormat.names() + ")");
        }
        Integer batch = d.integer("max_batch_size");
        if (batch != null && batch < 1) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': litellm_params.max_batch_size must "
                    + "be at least 1");
        }
        AwsClients.Settings settings = AwsClients.settings(d, env, timeoutMs(d), ENDPOINT_KEYS, ENDPOINT_ENV);
        SageMakerRuntimeClient client = AwsClients.build(SageMakerRuntimeClient.builder(), settings);
        String component = d.string("inference_component");
        targets.put(d, new Target(format, client, settings, component == null || component.isBlank() ? null
                : component.trim()));
    }

    @Override
    public void close() {
        targets.values().forEach(t -> {
            t.client().close();
            t.settings().close();
        });
        targets.clear();
    }

    /** Camel entry in the split: body = Batch → the format's JSON body (bytes); exchange property {@code batch}. */
    public void request(Exchange exchange) {
        EmbeddingCall call = call(exchange);
        Deployment d = call.deployment();
        Batch batch = exchange.getMessage().getBody(Batch.class);
        exchange.getMessage().setBody(target(d).format().request(batch, call.request(), forwardsDimensions(d)));
        exchange.setProperty(BATCH_PROPERTY, batch);
    }

    /**
     * Camel entry in the split, the call step: body = request bytes → InvokeEndpoint → the answer's bytes. Throws
     * the mapped GatewayException when the call fails.
     */
    public byte[] invoke(Exchange exchange) {
        Deployment d = call(exchange).deployment();
        Target t = target(d);
        InvokeEndpointRequest.Builder req = InvokeEndpointRequest.builder()
                .endpointName(d.upstreamModel())
                .contentType(JSON)
                .accept(JSON)
                .body(SdkBytes.fromByteArrayUnsafe(exchange.getMessage().getBody(byte[].class)));
        if (t.inferenceComponent() != null) {
            req.inferenceComponentName(t.inferenceComponent());
        }
        // this attempt's share of the request deadline
        java.time.Duration timeout = java.time.Duration.ofMillis(attemptTimeoutMs(exchange, d));
        req.overrideConfiguration(o -> o.apiCallTimeout(timeout).apiCallAttemptTimeout(timeout));
        try {
            InvokeEndpointResponse r = t.client().invokeEndpoint(req.build());
            if (r.body() == null) {
                throw UpstreamErrors.unparseable(displayName(), "empty body");
            }
            return r.body().asByteArrayUnsafe();
        } catch (ModelErrorException e) {
            throw modelError(d, e);
        } catch (SdkException e) {
            GatewayException g = UpstreamErrors.fromThrowable(d, e);
            throw g != null ? g : e;
        }
    }

    /** Camel entry in the split: the answer bytes → BatchResult; 502 for an unreadable answer. */
    public BatchResult response(Exchange exchange) {
        Target t = target(call(exchange).deployment());
        byte[] body = exchange.getMessage().getBody(byte[].class);
        if (body == null || body.length == 0) {
            throw UpstreamErrors.unparseable(displayName(), "empty body");
        }
        return t.format().parse(body, exchange.getProperty(BATCH_PROPERTY, Batch.class), displayName());
    }

    /**
     * A ModelError (SageMaker's HTTP 424: the container answered an error): mapped by the container's own status
     * ({@code OriginalStatusCode}; 502 when absent) and message.
     */
    private GatewayException modelError(Deployment d, ModelErrorException e) {
        Integer original = e.originalStatusCode();
        int status = original == null || original < 400 ? 502 : original;
        String message = e.originalMessage() != null ? e.originalMessage()
                : e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : e.getMessage();
        String detail = "ModelError, the model container answered " + (original == null ? "an error" : original)
                + (message == null ? "" : ": " + message);
        byte[] body = ("{\"message\":\"" + new String(JsonStringEncoder.getInstance().quoteAsString(detail)) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return UpstreamErrors.fromStatus(displayName(), d, status, body, null);
    }

    private Target target(Deployment d) {
        Target t = targets.get(d);
        if (t == null) {
            throw new IllegalStateException("SageMaker deployment not prepared: " + d);
        }
        return t;
    }
}
