package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.openai.RequestId;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.RoutingContext;

/**
 * The first handler on the HTTP server's root router (before {@code RequestAdmission}), so it sees every request,
 * including those answered before any route runs (401 on the headers, unknown paths, 413, 503 while draining):
 * <ul>
 *   <li>starts the {@link RequestRecord} and the request's span, and assigns the request id (the client's
 *       {@code x-request-id} when sane, else a UUID);</li>
 *   <li>just before the response headers go out, adds {@code x-request-id} and {@code x-gateway-overhead-ms} (the
 *       gateway's own time so far: elapsed minus the time upstream calls were in flight, milliseconds with two
 *       decimals) to every response;</li>
 *   <li>when the response has been sent (or the connection closed): the request metrics, the access-log line, and
 *       the end of the span.</li>
 * </ul>
 * Runs on the Vert.x event loop; allocation-light (one record, two handlers).
 */
public final class HttpObserver {

    /** The MDC key of the request id, in every log line of the request. */
    public static final String MDC_KEY = "request_id";
    public static final String OVERHEAD_HEADER = "x-gateway-overhead-ms";

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(HttpObserver.class);
    private final Metrics metrics;
    private final Tracing tracing;

    public HttpObserver(Metrics metrics, Tracing tracing) {
        this.metrics = metrics;
        this.tracing = tracing;
    }

    public void handle(RoutingContext rc) {
        long start = System.nanoTime();
        HttpServerRequest request = rc.request();
        SocketAddress peer = request.connection() != null ? request.connection().remoteAddress() : null;
        RequestRecord r = new RequestRecord(RequestId.sane(request.getHeader(RequestId.HEADER)), start,
                request.method().name(), request.path(), peer == null ? null : peer.hostAddress());
        r.register(request);
        r.span = tracing.startRequest(request, r);
        HttpServerResponse response = rc.response();
        rc.addHeadersEndHandler(v -> {
            long now = System.nanoTime();
            r.overheadNanos = r.overheadNanos(now);
            response.putHeader(RequestId.HEADER, r.requestId);
            response.putHeader(OVERHEAD_HEADER, formatMillis(r.overheadNanos));
        });
        rc.addEndHandler(done -> {
            long now = System.nanoTime();
            r.unregister(request);
            try {
                ended(r, response, now);
            } catch (RuntimeException e) {
                LOG.warn("could not record the end of request {}: {}", r.requestId, e.toString());
            }
        });
        rc.next();
    }

    private void ended(RequestRecord r, HttpServerResponse response, long now) {
        {
            r.totalNanos = now - r.startNanos;
            r.status = response.getStatusCode();
            if (r.overheadNanos < 0) {
                r.overheadNanos = r.overheadNanos(now);
            }
            long upstream = r.upstreamNanos(now);
            boolean embeddings = "embeddings".equals(r.operation) && r.inputs >= 0;
            metrics.request(r.operation, r.modelGroup, r.deployment, statusClass(r.status), r.totalNanos,
                    r.overheadNanos, embeddings ? r.inputs : -1, r.upstreamCalls());
            AccessLog.log(r, upstream);
            tracing.endRequest(r);
        }
    }

    static String statusClass(int status) {
        return switch (status / 100) {
            case 1 -> "1xx";
            case 2 -> "2xx";
            case 3 -> "3xx";
            case 4 -> "4xx";
            case 5 -> "5xx";
            default -> "other";
        };
    }

    /** Milliseconds with two decimals, e.g. {@code 0.42}. */
    static String formatMillis(long nanos) {
        long hundredths = (nanos + 5_000) / 10_000;
        long whole = hundredths / 100;
        int frac = (int) (hundredths % 100);
        return whole + (frac < 10 ? ".0" : ".") + frac;
    }
}
