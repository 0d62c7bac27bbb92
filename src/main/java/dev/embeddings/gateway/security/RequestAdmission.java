package dev.embeddings.gateway.security;

import dev.embeddings.gateway.GracefulShutdown;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.openai.GatewayException;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The first handler of every HTTP request (on the server's root router, before platform-http reads any body), run
 * on the Vert.x event loop. In order:
 * <ol>
 *   <li><b>Drain</b>: while the gateway stops ({@link GracefulShutdown}), new requests get 503
 *       {@code shutting_down} with {@code Retry-After} and {@code Connection: close}, readiness included; liveness
 *       still answers 200.</li>
 *   <li><b>Authentication on the headers</b> ({@link KeyAuthenticator}), for every path except the public ones
 *       (liveness and readiness): a request without a valid key gets 401 without its body being buffered. A small
 *       declared body (at most {@value #DISCARD_LIMIT} bytes) is read and discarded so that the client reads its 401
 *       on a clean connection; a larger or chunked one gets its 401 at once, then the rest of its body (up to the
 *       path's body limit) is read and dropped, never buffered, for at most {@value #LINGER_MS} ms, and the
 *       connection is closed: a client still sending is not reset before it reads its answer.</li>
 *   <li><b>Body size</b>: a declared {@code Content-Length} over the request limit gets 413 at once (connection
 *       closed).</li>
 *   <li><b>Body memory budget</b>: the bytes of all request bodies being received or served at once are bounded by
 *       {@code gateway.maxBodyBytesInFlight}. A request reserves its declared length (or the whole per-request limit
 *       when chunked) for its lifetime; when the budget cannot cover it, 503 {@code server_overloaded} with
 *       {@code Retry-After: 1} and the connection is closed.</li>
 *   <li><b>Read timeout</b>: a body not fully received {@code gateway.requestReadTimeoutMs} after the headers gets
 *       408 {@code request_timeout} and the connection is closed.</li>
 * </ol>
 * So a client without a key cannot make the gateway hold memory or a worker thread, and a flood of unauthenticated
 * bodies does not delay authenticated traffic.
 *
 * <p>Uploads ({@link #addStreamedUpload}, e.g. {@code POST /v1/files}) are streamed to disk by their route rather
 * than buffered: they have their own size limit and read time, and reserve only {@value #STREAMED_RESERVE} bytes
 * of the budget.
 */
public final class RequestAdmission {

    /**
     * Unauthenticated bodies up to this size are read and dropped before the 401; larger ones get the 401 first,
     * then are drained for at most {@link #LINGER_MS}.
     */
    public static final long DISCARD_LIMIT = 64 * 1024;
    /**
     * After an early answer on HTTP/1.x (401, 413, 503 sent on the headers), how long the rest of the client's body
     * is read and dropped before the connection is closed, in milliseconds. Closing with the body unread makes the
     * kernel reset the connection, and a client still sending (the JDK's HttpClient among them) then loses the
     * answer it was sent. The drain holds no memory and is bounded by this time and by the path's body limit.
     */
    public static final long LINGER_MS = 2000;
    /** Budget bytes an upload streamed to disk reserves (what Vert.x may hold of it at once). */
    public static final long STREAMED_RESERVE = 1024 * 1024;

    /** An upload path's own limits. */
    private record Streamed(long maxBytes, long readTimeoutMs) {
    }

    private final java.util.Map<String, Streamed> streamed = new java.util.concurrent.ConcurrentHashMap<>();

    private final KeyAuthenticator auth;
    private final GracefulShutdown drain;
    private final long maxBodyBytes;
    private final long budgetBytes;
    private final long readTimeoutMs;
    private final AtomicLong reserved = new AtomicLong();
    private final Set<String> publicPaths = new CopyOnWriteArraySet<>(Set.of("/health/liveliness",
            "/health/liveness", "/health/readiness"));
    private final byte[] readTimeoutBody;
    private static final GatewayException READ_TIMEOUT = new GatewayException(408, "invalid_request_error", null,
            "request_timeout", "The request body did not arrive in time.");

    /**
     * @param maxBodyBytes  the per-request body limit (platform-http's {@code maxBodySize})
     * @param budgetBytes   the bound on the bytes of all bodies in flight ({@code gateway.maxBodyBytesInFlight})
     * @param readTimeoutMs how long a body may take to arrive after the headers
     */
    public RequestAdmission(KeyAuthenticator auth, GracefulShutdown drain, long maxBodyBytes, long budgetBytes,
                            long readTimeoutMs) {
        this.auth = auth;
        this.drain = drain;
        this.maxBodyBytes = maxBodyBytes;
        this.budgetBytes = Math.max(budgetBytes, maxBodyBytes);
        this.readTimeoutMs = readTimeoutMs;
        this.readTimeoutBody = ErrorResponder.body(new GatewayException(408, "invalid_request_error", null,
                "request_timeout", "The request body did not arrive within " + readTimeoutMs + " ms."));
    }

    /** A path that needs no key (besides liveness and readiness), e.g. a public {@code /metrics}. */
    public void addPublicPath(String path) {
        publicPaths.add(path);
    }

    /**
     * {@code POST path} is an upload its route streams to disk: up to {@code maxBytes} (instead of the request body
     * limit), {@code readTimeoutMs} to arrive, {@value #STREAMED_RESERVE} bytes of the body budget. Authentication
     * is unchanged: without a valid key, not a byte of it is read.
     */
    public void addStreamedUpload(String path, long maxBytes, long readTimeoutMs) {
        streamed.put(path, new Streamed(maxBytes, readTimeoutMs));
    }

    /** Bytes of request bodies currently reserved (received or being served). */
    public long bodyBytesInFlight() {
        return reserved.get();
    }

    /** The root-router handler. */
    public void handle(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        String path = rc.normalizedPath();
        boolean isPublic = publicPaths.contains(path);
        if (drain.draining() && !path.equals("/health/liveliness") && !path.equals("/health/liveness")) {
            // readiness turns false at once: load balancers stop sending here
            reject(rc, new GatewayException(503, "api_error", null, "shutting_down",
                    "The gateway is shutting down; retry on another instance.", 1), true);
            return;
        }
        if (isPublic || !auth.enabled()) {
            admit(rc);
            return;
        }
        var pending = auth.authenticate(request.getHeader("Authorization"), request.getHeader("api-key"))
                .toCompletableFuture();
        if (pending.isDone()) {
            authenticated(rc, pending.handle((p, e) -> e).join());
            return;
        }
        // the key store must be asked: hold the body until it answers, then continue on this request's context
        request.pause();
        Context context = Vertx.currentContext();
        pending.whenComplete((p, e) -> context.runOnContext(v -> authenticated(rc, e)));
    }

    private void authenticated(RoutingContext rc, Throwable failure) {
        if (failure == null) {
            admit(rc);
            return;
        }
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause()
                : failure;
        GatewayException e = cause instanceof GatewayException g ? g : GatewayException.unauthorized(
                "The API key could not be verified.");
        HttpServerRequest request = rc.request();
        long declared = declaredLength(request);
        if (request.isEnded() || declared == 0) {
            reject(rc, e, false);
        } else if (declared > 0 && declared <= DISCARD_LIMIT && !"100-continue".equalsIgnoreCase(
                request.getHeader("Expect"))) {
            // read and drop a small body so that the client gets its answer on a clean connection
            // a sender this slow has had its time: closed at once, not drained
            long timer = rc.vertx().setTimer(readTimeoutMs, id -> reject(rc, e, true, 0));
            request.handler(b -> { }).endHandler(v -> {
                rc.vertx().cancelTimer(timer);
                reject(rc, e, false);
            });
            request.resume();
        } else {
            reject(rc, e, true);
        }
    }

    /** Authenticated (or public): size, budget, read timeout, then on to platform-http. */
    private void admit(RoutingContext rc) {
        HttpServerRequest request = rc.request();
        long declared = declaredLength(request);
        Streamed upload = request.method() == io.vertx.core.http.HttpMethod.POST ? streamed.get(rc.normalizedPath())
                : null;
        long limit = bodyLimit(rc);
        if (declared > limit) {
            reject(rc, GatewayException.tooLarge(limit), true);
            return;
        }
        long need = request.isEnded() ? 0 : upload != null ? (declared >= 0 ? Math.min(declared, STREAMED_RESERVE)
                : STREAMED_RESERVE) : declared >= 0 ? declared : maxBodyBytes;
        if (need > 0 && !reserve(need)) {
            reject(rc, new GatewayException(503, "api_error", null, "server_overloaded",
                    "The gateway is receiving too many request bodies at once; retry in a moment.", 1), true);
            return;
        }
        drain.started();
        rc.addEndHandler(done -> {
            drain.ended();
            if (need > 0) {
                reserved.addAndGet(-need);
            }
        });
        if (!request.isEnded()) {
            long timer = rc.vertx().setTimer(upload != null ? upload.readTimeoutMs : readTimeoutMs, id -> {
                if (!request.isEnded() && !rc.response().ended() && !rc.response().closed()) {
                    dev.embeddings.gateway.observe.RequestRecord.failed(rc, READ_TIMEOUT);
                    // the body already has its route's handler: closed at once, not drained
                    send(rc.response().setStatusCode(408), readTimeoutBody, request, true, 0);
                }
            });
            rc.addEndHandler(done -> rc.vertx().cancelTimer(timer));
        }
        rc.next();
    }

    private boolean reserve(long bytes) {
        while (true) {
            long now = reserved.get();
            if (now + bytes > budgetBytes) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Content-Length, 0 for a request without a body, -1 when chunked. */
    private static long declaredLength(HttpServerRequest request) {
        String cl = request.getHeader("Content-Length");
        if (cl != null) {
            try {
                return Math.max(0, Long.parseLong(cl.trim()));
            } catch (NumberFormatException e) {
                return -1;
            }
        }
        return request.headers().contains("Transfer-Encoding") ? -1 : 0;
    }

    private void reject(RoutingContext rc, GatewayException e, boolean close) {
        reject(rc, e, close, bodyLimit(rc));
    }

    /** The body limit of this request's path: an upload's own, else the request body limit (bytes). */
    private long bodyLimit(RoutingContext rc) {
        Streamed upload = rc.request().method() == io.vertx.core.http.HttpMethod.POST
                ? streamed.get(rc.normalizedPath()) : null;
        return upload != null ? upload.maxBytes : maxBodyBytes;
    }

    /** Answers {@code e}; with {@code close}, closes the connection after draining up to {@code lingerBytes}. */
    private static void reject(RoutingContext rc, GatewayException e, boolean close, long lingerBytes) {
        dev.embeddings.gateway.observe.RequestRecord.failed(rc, e);
        HttpServerResponse response = rc.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (close && rc.request().version() != io.vertx.core.http.HttpVersion.HTTP_2) {
            // stop reading the socket until the answer is written; then the rest is drained, at most LINGER_MS
            rc.request().pause();
        }
        response.setStatusCode(e.status());
        if (e.retryAfterSeconds() != null) {
            response.putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        if (e.status() == 401) {
            response.putHeader("WWW-Authenticate", "Bearer");
        }
        send(response, ErrorResponder.body(e), rc.request(), close, lingerBytes);
    }

    /**
     * Ends the response with {@code body}; with {@code close}, stops the client's upload: HTTP/1.x by closing the
     * connection ({@code Connection: close}); on HTTP/2, where closing would end every other stream of the
     * connection, the rest of this stream's body is read and dropped (no buffering). On HTTP/1.x, up to
     * {@code lingerBytes} more of the body are read and dropped for at most {@link #LINGER_MS} before the close, so
     * that the client can finish sending and read its answer (0: close at once).
     */
    private static void send(HttpServerResponse response, byte[] body, HttpServerRequest request, boolean close,
                             long lingerBytes) {
        boolean http2 = request != null && request.version() == io.vertx.core.http.HttpVersion.HTTP_2;
        response.putHeader("Content-Type", "application/json");
        if (close && !http2) {
            response.putHeader("Connection", "close");
        }
        if (close && http2 && !request.isEnded()) {
            request.handler(b -> { });
            request.resume();
        }
        response.end(Buffer.buffer(body)).onComplete(done -> {
            if (!close || http2) {
                return;
            }
            if (done.failed() || lingerBytes <= 0 || request.isEnded()) {
                request.connection().close();
            } else {
                lingerThenClose(request, lingerBytes);
            }
        });
    }

    /** Reads and drops the rest of {@code request}'s body, then closes its connection (see {@link #LINGER_MS}). */
    private static void lingerThenClose(HttpServerRequest request, long lingerBytes) {
        io.vertx.core.http.HttpConnection connection = request.connection();
        Vertx vertx = Vertx.currentContext().owner();
        long[] left = {lingerBytes};
        long timer = vertx.setTimer(LINGER_MS, id -> connection.close());
        Runnable close = () -> {
            vertx.cancelTimer(timer);
            connection.close();
        };
        request.exceptionHandler(e -> close.run());
        request.endHandler(v -> close.run());
        request.handler(b -> {
            left[0] -= b.length();
            if (left[0] < 0) {
                request.pause();
                close.run();
            }
        });
        request.resume();
    }
}
