package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Redactor;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What the gateway learns about one HTTP request while serving it, for its access-log line, its metrics, its
 * {@code x-gateway-overhead-ms} header and its trace span. Created by {@link HttpObserver} when the request's headers
 * arrive (Vert.x), carried through Camel as exchange property {@value #PROPERTY} (set by {@link RequestContextPolicy};
 * the Splitter copies it to each batch's exchange), completed when the response ends.
 *
 * <p>Written by one Camel thread at a time, except the upstream-call bookkeeping, which parallel batches update at
 * once (synchronized). The Vert.x end handler reads it after the response is written.
 */
public final class RequestRecord {

    /** Exchange property carrying the record through the routes. */
    public static final String PROPERTY = "gatewayRequestRecord";
    /** Records of requests in flight, by their Vert.x request: how the Camel exchange finds its record. */
    private static final ConcurrentHashMap<HttpServerRequest, RequestRecord> BY_REQUEST = new ConcurrentHashMap<>();

    final String requestId;
    final long startNanos;
    final String method;
    final String path;
    final String client;
    final String operation;
    Span span;

    // set along the way (Camel worker thread)
    String model;
    String modelGroup = "";
    int inputs = -1;
    int tokens = -1;
    String errorCode;
    volatile Deployment deployment;

    // upstream calls: the union of the intervals during which at least one call was in flight
    private int upstreamCalls;
    private int activeCalls;
    private long activeSince;
    private long upstreamNanos;

    // at the response
    long overheadNanos = -1;
    long totalNanos;
    int status;

    RequestRecord(String requestId, long startNanos, String method, String path, String client) {
        this.requestId = requestId;
        this.startNanos = startNanos;
        this.method = method;
        this.path = path;
        this.client = client;
        this.operation = Operation.of(path);
    }

    /** The request id ({@code x-request-id}: the client's when sane, else a new UUID). */
    public String requestId() {
        return requestId;
    }

    void register(HttpServerRequest request) {
        BY_REQUEST.put(request, this);
    }

    void unregister(HttpServerRequest request) {
        BY_REQUEST.remove(request);
    }

    /** The record of the HTTP request behind {@code exchange}, or null (Kafka, Kamelet, health probes...). */
    public static RequestRecord of(Exchange exchange) {
        RequestRecord r = exchange.getProperty(PROPERTY, RequestRecord.class);
        if (r == null && exchange.getMessage() instanceof HttpMessage hm && hm.getRequest() != null) {
            r = BY_REQUEST.get(hm.getRequest());
            if (r != null) {
                exchange.setProperty(PROPERTY, r);
            }
        }
        return r;
    }

    /** The record of a Vert.x request, or null. */
    static RequestRecord of(RoutingContext rc) {
        return BY_REQUEST.get(rc.request());
    }

    /**
     * The error a request ended with (any path: admission, Vert.x error handlers, the routes' error handler): its
     * OpenAI {@code code}, else its {@code type}.
     */
    public static void failed(RoutingContext rc, GatewayException e) {
        RequestRecord r = of(rc);
        if (r != null) {
            r.errorCode = e.code() != null ? e.code() : e.type();
        }
    }

    /** The error a request ended with, from the routes' error handler. */
    public static void failed(Exchange exchange, GatewayException e) {
        RequestRecord r = of(exchange);
        if (r != null) {
            r.errorCode = e.code() != null ? e.code() : e.type();
        }
    }

    /** The embeddings request was parsed: the model asked (a configured group or not) and the inputs. */
    void embeddingsRequest(String model, String configuredGroup, int inputs) {
        this.model = model;
        this.modelGroup = configuredGroup == null ? "" : configuredGroup;
        this.inputs = inputs;
    }

    /** Usage sent to the client. */
    public static void tokens(Exchange exchange, int tokens) {
        RequestRecord r = of(exchange);
        if (r != null) {
            r.tokens = tokens;
        }
    }

    synchronized void upstreamStarted(long now) {
        upstreamCalls++;
        if (activeCalls++ == 0) {
            activeSince = now;
        }
    }

    synchronized void upstreamEnded(long now) {
        if (activeCalls > 0 && --activeCalls == 0) {
            upstreamNanos += now - activeSince;
        }
    }

    /** Nanoseconds during which at least one upstream call of this request was in flight, up to {@code now}. */
    synchronized long upstreamNanos(long now) {
        return activeCalls > 0 ? upstreamNanos + (now - activeSince) : upstreamNanos;
    }

    synchronized int upstreamCalls() {
        return upstreamCalls;
    }

    /** Paths of the gateway's own routes: nothing to redact in them. */
    private static final java.util.Set<String> ROUTE_PATHS = java.util.Set.of("/v1/embeddings", "/embeddings",
            "/v1/models", "/models", "/health", "/health/readiness", "/health/liveliness", "/health/liveness",
            "/metrics");

    /** The path for logs and spans: as sent when it is one of the gateway's own, else redacted. */
    String displayPath() {
        return path == null || ROUTE_PATHS.contains(path) ? path : Redactor.redact(path);
    }

    /** The model for logs and spans: a configured model group as it is, anything else redacted (and cut to 200). */
    String displayModel() {
        String m = model;
        if (m == null || m.equals(modelGroup)) {
            return m;
        }
        if (m.length() > 200) {
            m = m.substring(0, 200) + "...";
        }
        return Redactor.redact(m);
    }

    /** The gateway's own time so far: elapsed minus upstream time. */
    long overheadNanos(long now) {
        return Math.max(0, now - startNanos - upstreamNanos(now));
    }
}
