package dev.embeddings.gateway;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's drain on stop (SIGTERM, or {@link Gateway#stop()}): from the moment it begins, readiness reports
 * not ready and new HTTP requests get 503 {@code shutting_down} in the OpenAI error shape with {@code Retry-After}
 * and {@code Connection: close}, while the requests already admitted run to their end; Camel stops only when they
 * have all answered or {@code gateway.drainTimeoutMs} (default {@value #DEFAULT_DRAIN_MS} ms) has passed.
 * In-flight requests are counted by {@link dev.embeddings.gateway.security.RequestAdmission}.
 */
public final class GracefulShutdown {

    /** The default drain: 30 s. */
    public static final long DEFAULT_DRAIN_MS = 30_000;
    private static final Logger LOG = LoggerFactory.getLogger(GracefulShutdown.class);

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean draining;
    private volatile long drainMs = DEFAULT_DRAIN_MS;

    /** How long {@link #drain} waits for requests in flight, in ms. */
    public void setDrainMs(long drainMs) {
        this.drainMs = Math.max(0, drainMs);
    }

    /** Whether the drain has begun: new requests are refused and readiness is false. */
    public boolean draining() {
        return draining;
    }

    /** HTTP requests admitted and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /** A request was admitted. */
    public void started() {
        inFlight.incrementAndGet();
    }

    /** An admitted request has been answered (or its connection closed). */
    public void ended() {
        inFlight.decrementAndGet();
    }

    /**
     * Begins the drain and waits until no admitted request is in flight or the drain time has passed. Returns the
     * requests still in flight when it gave up (0 when all finished).
     */
    public int drain() {
        draining = true;
        long deadline = System.nanoTime() + drainMs * 1_000_000;
        int n = inFlight.get();
        if (n > 0) {
            LOG.info("draining: {} request(s) in flight; new requests get 503 (up to {} ms)", n, drainMs);
        }
        while ((n = inFlight.get()) > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (n > 0) {
            LOG.warn("drain time of {} ms over with {} request(s) still in flight; stopping anyway", drainMs, n);
        } else {
            LOG.info("drained: no request in flight");
        }
        return n;
    }
}
