package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.EmbeddingCall;
import io.opentelemetry.api.trace.Span;
import org.apache.camel.AsyncCallback;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.NamedNode;
import org.apache.camel.Processor;
import org.apache.camel.spi.InterceptStrategy;
import org.apache.camel.support.processor.DelegateAsyncProcessor;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Instruments every upstream call, whatever the provider: a Camel InterceptStrategy (so it applies to routes as they
 * are built, reloaded ones included) that wraps each route step whose {@code id} ends in {@value #SUFFIX} (the
 * provider routes' call step: {@code azure-call}, {@code bedrock-call}, {@code sagemaker-call}, {@code local-call}
 * ...). Around each call it
 * <ul>
 *   <li>times it ({@code embeddings_gateway_upstream_call_duration_seconds} by deployment and status class);</li>
 *   <li>adds it to the request's upstream time and call count ({@link RequestRecord}: the overhead header, the
 *       access log, calls per request);</li>
 *   <li>opens a CLIENT span and sends its {@code traceparent} on the call's message headers (camel-http sends them).</li>
 * </ul>
 * The deployment comes from the exchange property {@value EmbeddingCall#PROPERTY}; a step without one is passed
 * through untouched. Steps with other ids cost nothing.
 */
public final class UpstreamCallInterceptor implements InterceptStrategy {

    /** The id suffix that marks a provider route's upstream call step. */
    public static final String SUFFIX = "-call";

    private final Metrics metrics;
    private final Tracing tracing;

    public UpstreamCallInterceptor(Metrics metrics, Tracing tracing) {
        this.metrics = metrics;
        this.tracing = tracing;
    }

    @Override
    public Processor wrapProcessorInInterceptors(CamelContext context, NamedNode definition, Processor target,
                                                 Processor nextTarget) {
        String id = definition == null ? null : definition.getId();
        if (id == null || !id.endsWith(SUFFIX)) {
            return target;
        }
        return new DelegateAsyncProcessor(target) {
            @Override
            public boolean process(Exchange exchange, AsyncCallback callback) {
                EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
                if (call == null) {
                    return processor.process(exchange, callback);
                }
                Deployment d = call.deployment();
                RequestRecord r = RequestRecord.of(exchange);
                Batch batch = exchange.getProperty("batch", Batch.class);
                long start = System.nanoTime();
                if (r != null) {
                    r.upstreamStarted(start);
                }
                Span span = tracing.startUpstream(r, d, batch != null ? batch.size() : call.request().size(),
                        exchange.getMessage());
                return processor.process(exchange, doneSync -> {
                    long end = System.nanoTime();
                    if (r != null) {
                        r.upstreamEnded(end);
                    }
                    Integer http = exchange.getException() == null
                            ? exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, Integer.class) : null;
                    String status = statusClass(exchange.getException(), http);
                    metrics.upstreamCall(d, status, end - start);
                    tracing.endUpstream(span, status, http, exchange.getException());
                    callback.done(doneSync);
                });
            }

            @Override
            public String toString() {
                return "upstreamCall[" + id + "]";
            }
        };
    }

    /** "2xx", "4xx", "5xx" from the HTTP status or an AWS service error's status, else "error". */
    static String statusClass(Throwable error, Integer http) {
        Integer status = http;
        for (Throwable t = error; t != null && status == null; t = t.getCause()) {
            if (t instanceof SdkServiceException s && s.statusCode() > 0) {
                status = s.statusCode();
            }
        }
        if (status == null) {
            return error == null ? "2xx" : "error";
        }
        return HttpObserver.statusClass(status);
    }
}
