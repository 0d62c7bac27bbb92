package dev.embeddings.gateway.batch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Keeps every unfinished batch moving, whatever happened to the process that was running it (the
 * {@code batch-supervisor} timer of routes/batches.yaml, and right after this process stops working on a batch):
 * <ul>
 *   <li>a batch past its {@code expires_at} is finished as {@code expired};</li>
 *   <li>a {@code validating} batch, or an {@code in_progress} one whose lines are not all handed out (in-process
 *       mode: not being worked on here, e.g. after a restart; Kafka mode: not all published), is dispatched again
 *       when no other live instance holds its lease: only lines without a result run;</li>
 *   <li>an {@code in_progress} batch with a result for every line, or a {@code finalizing} one nobody is finishing,
 *       is finished as {@code completed};</li>
 *   <li>a {@code cancelling} batch is finished as {@code cancelled} once nothing of it is in flight here (with
 *       Kafka, also {@code gateway.batch.cancelGraceMs} after the cancel, for lines in flight on other replicas).</li>
 * </ul>
 */
public final class BatchSupervisor {

    private static final Logger LOG = LoggerFactory.getLogger(BatchSupervisor.class);

    private final BatchService service;
    private final BatchFinaliser finaliser;
    private final ExecutorService finisher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "batch-finisher");
        t.setDaemon(true);
        return t;
    });

    public BatchSupervisor(BatchService service, BatchFinaliser finaliser) {
        this.service = service;
        this.finaliser = finaliser;
        service.setOnIdle(this::poke);
    }

    /**
     * Camel entry of the timer: finishes what can be finished and returns the ids of the batches to dispatch (each
     * marked as queued here).
     */
    public List<String> tick() {
        List<String> dispatch = new ArrayList<>();
        for (BatchJob b : service.store().unfinishedBatches()) {
            try {
                if (check(b)) {
                    dispatch.add(b.id);
                }
            } catch (RuntimeException | IOException e) {
                LOG.warn("batch {}: supervisor check failed: {}", b.id, e.toString());
            }
        }
        return dispatch;
    }

    /** Decides for one batch; returns true when it should be dispatched (and marks it queued here). */
    boolean check(BatchJob b) throws IOException {
        long now = BatchService.nowSeconds();
        if (b.status.isRunning() && b.expiresAt <= now) {
            // whoever is working on it: the completion window is over
            finaliser.finish(b.id, BatchStatus.EXPIRED);
            return false;
        }
        if (service.busyHere(b.id)) {
            return false;
        }
        boolean leaseFree = b.leaseHolder == null || b.leaseHolder.equals(service.instance())
                || b.leaseUntil < System.currentTimeMillis();
        switch (b.status) {
            case VALIDATING, IN_PROGRESS -> {
                if (b.status == BatchStatus.IN_PROGRESS
                        && service.store().resultCounts(b.id).done() >= b.requestCounts.total) {
                    finaliser.finish(b.id, BatchStatus.COMPLETED);
                    return false;
                }
                boolean handedOut = b.status == BatchStatus.IN_PROGRESS && service.settings().kafka() && b.dispatched;
                if (!handedOut && leaseFree) {
                    return service.enqueue(b.id);
                }
                return false;
            }
            case FINALIZING -> {
                if (leaseFree) {
                    finaliser.finish(b.id, BatchStatus.COMPLETED);
                }
                return false;
            }
            case CANCELLING -> {
                long graceMs = service.settings().kafka() ? service.settings().cancelGraceMs() : 0;
                long since = b.cancellingAt == null ? Long.MAX_VALUE : System.currentTimeMillis() - b.cancellingAt * 1000;
                if (since >= graceMs) {
                    finaliser.finish(b.id, BatchStatus.CANCELLED);
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /**
     * This process just stopped working on batch {@code id} (its dispatch ended, its last chunk here ended, or it
     * was cancelled): finish it now if it is cancelling or complete, on the finisher thread.
     */
    public void poke(String id) {
        try {
            finisher.execute(() -> {
                try {
                    BatchJob b = service.store().batch(id).orElse(null);
                    if (b == null || service.busyHere(id)) {
                        return;
                    }
                    if (b.status == BatchStatus.CANCELLING && !service.settings().kafka()) {
                        finaliser.finish(id, BatchStatus.CANCELLED);
                    } else if (b.status == BatchStatus.IN_PROGRESS && finaliser.isComplete(id)) {
                        finaliser.finish(id, BatchStatus.COMPLETED);
                    }
                } catch (RuntimeException | IOException e) {
                    LOG.warn("batch {}: {}", id, e.toString());
                }
            });
        } catch (RejectedExecutionException stopping) {
            // shutting down: the next start's supervisor finishes it
        }
    }

    /** Stops the finisher thread (the gateway is stopping). */
    public void close() {
        finisher.shutdownNow();
    }
}
