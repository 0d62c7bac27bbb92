package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.openai.GatewayException;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * What this gateway instance knows of one key's budget and concurrency, between database reads:
 * <ul>
 *   <li>{@code base}: the key's spend in the current budget period as last read from the database (by the spend
 *       writer only, so reads and flushes never interleave);</li>
 *   <li>{@code unflushed}: the cost of this instance's finished requests that the writer has not committed yet;</li>
 *   <li>{@code reserved}: the estimated cost of this instance's requests in flight;</li>
 *   <li>{@code inFlight}: those requests' count ({@code max_parallel_requests}).</li>
 * </ul>
 * The budget rule sees {@code base + unflushed + reserved}: nothing counted twice, nothing missed, however requests
 * and flushes interleave. All methods are synchronized: check-and-reserve is atomic per key.
 */
final class KeyState {

    private BigDecimal base;
    private Instant resetAt;
    private BigDecimal unflushed = BigDecimal.ZERO;
    private BigDecimal reserved = BigDecimal.ZERO;
    private int inFlight;
    private volatile long lastUsedMs;

    KeyState(BigDecimal base, Instant resetAt) {
        this.base = base == null ? BigDecimal.ZERO : base;
        this.resetAt = resetAt;
    }

    /**
     * Applies the budget and (for an interactive request, which then holds a parallel slot) the parallel rule to a
     * request of estimated cost {@code estimate} and, when they pass, reserves it; else returns the error (and
     * reserves nothing).
     */
    synchronized GatewayException tryReserve(KeyRecord key, BigDecimal estimate, Instant now, boolean interactive) {
        lastUsedMs = now.toEpochMilli();
        rollover(key, now);
        GatewayException e = KeyPolicy.budget(key.maxBudget(), spent(), estimate,
                key.budgetDuration() == null ? null : resetAt);
        if (e == null && interactive) {
            e = KeyPolicy.parallel(key.maxParallelRequests(), inFlight);
        }
        if (e != null) {
            return e;
        }
        if (interactive) {
            inFlight++;
        }
        reserved = reserved.add(estimate);
        return null;
    }

    /**
     * Settles a reserved request's cost: its reservation {@code estimate} is dropped and its real {@code cost}
     * (null when it failed and costs nothing) counted until the writer commits it.
     */
    synchronized void settle(BigDecimal estimate, BigDecimal cost) {
        reserved = reserved.subtract(estimate);
        if (cost != null) {
            unflushed = unflushed.add(cost);
        }
    }

    /** A reserved request's response is done: it no longer counts against {@code max_parallel_requests}. */
    synchronized void endFlight() {
        inFlight--;
    }

    /** The writer committed {@code amount} of this key's spend; the database now says {@code stored}. */
    synchronized void flushed(BigDecimal amount, KeyStore.SpendState stored) {
        unflushed = unflushed.subtract(amount);
        if (stored != null) {
            base = stored.spend();
            resetAt = stored.budgetResetAt();
        }
    }

    /** The writer read the key's stored spend (it has no commit of this instance in flight). */
    synchronized void refreshed(KeyStore.SpendState stored) {
        base = stored.spend();
        resetAt = stored.budgetResetAt();
    }

    /** A budget period that ended counts from zero at once, before the database has been reset. */
    private void rollover(KeyRecord key, Instant now) {
        if (key.budgetDuration() != null && resetAt != null && !now.isBefore(resetAt)) {
            base = BigDecimal.ZERO;
            try {
                resetAt = Durations.nextReset(resetAt, key.budgetDuration(), now);
            } catch (IllegalArgumentException e) {
                resetAt = null;
            }
        }
    }

    /** Spend of the current period as the budget rule sees it. */
    synchronized BigDecimal spent() {
        return base.add(unflushed).add(reserved);
    }

    /** Spend of the current period without the requests in flight (what {@code /key/info} adds to the stored). */
    synchronized BigDecimal unflushed() {
        return unflushed;
    }

    synchronized int inFlight() {
        return inFlight;
    }

    long lastUsedMs() {
        return lastUsedMs;
    }
}
