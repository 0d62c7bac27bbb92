package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.config.Deployment;
import org.apache.camel.Exchange;
import org.apache.camel.spi.Synchronization;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One admitted request's claim on its key's limits (exchange property {@value #PROPERTY}), from the
 * {@code check-key-limits} step to the end of the exchange: the parallel slot, the budget reservation and the tokens
 * counted in the rate window. {@link #served} settles the real cost once the response is ready; the exchange's
 * completion ({@link Synchronization}, success or failure, whatever the path) frees the slot and, for a request that
 * failed, drops its reservation and gives its tokens back to the window. Every step happens once, even when the
 * route replays the request.
 */
final class Admission implements Synchronization {

    static final String PROPERTY = "keyAdmission";

    private final Keys keys;
    private final KeyRecord key;
    private final KeyState state;
    private final String requestId;
    private final String model;
    private final String endUser;
    private final long preTokens;
    private final BigDecimal estimate;
    private final long windowId;
    private final boolean counted;
    private final boolean holdsSlot;
    private final Instant start;
    private final AtomicBoolean served = new AtomicBoolean();
    private final AtomicBoolean finished = new AtomicBoolean();

    /**
     * @param key       the virtual key, or null for the master key / an open gateway (spend recorded, no limits)
     * @param state     the key's state (null with key null)
     * @param preTokens tokens counted before the call (what the rate window holds)
     * @param estimate  the budget reservation
     * @param counted   whether the request was counted in the rate window
     * @param holdsSlot whether the request holds one of the key's {@code max_parallel_requests} slots
     */
    Admission(Keys keys, KeyRecord key, KeyState state, String requestId, String model, String endUser,
              long preTokens, BigDecimal estimate, long windowId, boolean counted, boolean holdsSlot, Instant start) {
        this.keys = keys;
        this.key = key;
        this.state = state;
        this.requestId = requestId;
        this.model = model;
        this.endUser = endUser;
        this.preTokens = preTokens;
        this.estimate = estimate;
        this.windowId = windowId;
        this.counted = counted;
        this.holdsSlot = holdsSlot;
        this.start = start;
    }

    /**
     * The response is ready: {@code promptTokens} (its {@code usage}) served by {@code deployment}. Queues the spend
     * record, settles the budget with the real cost and corrects the rate window by the difference between the
     * usage and the tokens counted before the call.
     */
    void served(Deployment deployment, long promptTokens) {
        if (!served.compareAndSet(false, true)) {
            return;
        }
        BigDecimal cost = Pricing.cost(keys.price(deployment), promptTokens);
        SpendRecord r = new SpendRecord(UUID.randomUUID().toString(), requestId,
                key == null ? null : key.tokenId(),
                key == null ? null : key.userId(), key == null ? null : key.teamId(), endUser,
                deployment.upstreamModel(), model, deployment.id(), deployment.provider().prefix(), promptTokens,
                cost, start, Instant.now());
        if (state != null) {
            state.settle(estimate, cost);
        }
        if (counted && key.tpmLimit() != null && promptTokens != preTokens) {
            keys.rates().adjustTokens(key.tokenId(), windowId, promptTokens - preTokens);
        }
        keys.record(r, key != null);
    }

    /** Frees the claim (once): the parallel slot; for a request not served, its reservation and its tokens. */
    void finish() {
        if (!finished.compareAndSet(false, true) || state == null) {
            return;
        }
        if (!served.get()) {
            // nothing was served: nothing is charged, and the tokens go back to the window
            state.settle(estimate, null);
            if (counted && key.tpmLimit() != null && preTokens > 0) {
                keys.rates().adjustTokens(key.tokenId(), windowId, -preTokens);
            }
        }
        if (holdsSlot) {
            state.endFlight();
        }
    }

    @Override
    public void onComplete(Exchange exchange) {
        finish();
    }

    @Override
    public void onFailure(Exchange exchange) {
        finish();
    }
}
