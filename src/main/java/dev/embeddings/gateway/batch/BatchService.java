package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * What the batch beans share: the {@link BatchStore}, the settings, the line parser, the throttle, and this
 * process's view of the batches it is working on (being dispatched here, chunks in flight here, a short-lived cache
 * of statuses so that workers notice a cancel within a second without reading the store for every chunk).
 */
public final class BatchService {

    private static final Logger LOG = LoggerFactory.getLogger(BatchService.class);
    static final JsonFactory JSON = new JsonFactory();
    private static final long STATUS_TTL_MS = 1000;

    private final BatchStore store;
    private final BatchSettings settings;
    private final BatchLines lines;
    private final BatchThrottle throttle;
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final Set<String> dispatching = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, CachedStatus> statuses = new ConcurrentHashMap<>();

    private record CachedStatus(BatchStatus status, long readAtMs) {
    }

    /** What does not change once a batch runs: its owner, its number of requests, its endpoint. */
    public record Facts(Owner owner, int total, String endpoint) {
    }

    private final ConcurrentHashMap<String, Facts> facts = new ConcurrentHashMap<>();

    public BatchService(BatchStore store, BatchSettings settings, BatchLines lines, BatchThrottle throttle) {
        this.store = store;
        this.settings = settings;
        this.lines = lines;
        this.throttle = throttle;
    }

    public BatchStore store() {
        return store;
    }

    public BatchSettings settings() {
        return settings;
    }

    public BatchLines lines() {
        return lines;
    }

    public BatchThrottle throttle() {
        return throttle;
    }

    public String instance() {
        return settings.instanceName();
    }

    public static long nowSeconds() {
        return Instant.now().getEpochSecond();
    }

    /** The batch's status, at most a second old (null when the batch is gone). */
    public BatchStatus status(String batchId) {
        long now = System.currentTimeMillis();
        CachedStatus c = statuses.get(batchId);
        if (c != null && now - c.readAtMs < STATUS_TTL_MS) {
            return c.status;
        }
        Optional<BatchJob> b = store.batch(batchId);
        BatchStatus s = b.map(x -> x.status).orElse(null);
        if (s != null) {
            statuses.put(batchId, new CachedStatus(s, now));
        }
        return s;
    }

    /**
     * The batch's fixed facts (read once it is past validation, then kept), or null when the batch is gone or still
     * validating.
     */
    public Facts facts(String batchId) {
        Facts f = facts.get(batchId);
        if (f != null) {
            return f;
        }
        BatchJob b = store.batch(batchId).orElse(null);
        if (b == null) {
            return null;
        }
        f = new Facts(b.owner == null ? Owner.OPEN : b.owner, b.requestCounts.total, b.endpoint);
        if (b.status != BatchStatus.VALIDATING) {
            facts.put(batchId, f);
        }
        return f;
    }

    /** Persists a change of batch {@code id} and refreshes the status cache. */
    public BatchJob update(String id, UnaryOperator<BatchJob> change) {
        try {
            BatchJob b = store.updateBatch(id, change);
            statuses.put(id, new CachedStatus(b.status, System.currentTimeMillis()));
            if (b.status.isFinal()) {
                facts.remove(id);
            }
            return b;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot update batch " + id, e);
        }
    }

    /**
     * Takes the batch's lease for this instance when it is free, expired, or already this instance's (e.g. before a
     * restart) and the batch is in {@code from}; returns the updated batch, or null when someone else holds it.
     */
    public BatchJob claim(String id, Set<BatchStatus> from) {
        long now = System.currentTimeMillis();
        BatchJob[] claimed = new BatchJob[1];
        update(id, b -> {
            if (!from.contains(b.status)) {
                return null;
            }
            if (b.leaseHolder != null && !b.leaseHolder.equals(instance()) && b.leaseUntil > now) {
                return null;
            }
            b.leaseHolder = instance();
            b.leaseUntil = now + settings.leaseMs();
            claimed[0] = b;
            return b;
        });
        return claimed[0];
    }

    /** Extends this instance's lease on the batch (while dispatching a long file). */
    public void renewLease(String id) {
        renewLease(id, 0);
    }

    /** Renews the lease and records that every line up to {@code publishedThrough} is in the lines topic (Kafka). */
    public void renewLease(String id, int publishedThrough) {
        long now = System.currentTimeMillis();
        update(id, b -> {
            if (!instance().equals(b.leaseHolder)) {
                return null;
            }
            b.leaseUntil = now + settings.leaseMs();
            b.publishedThrough = Math.max(b.publishedThrough, publishedThrough);
            return b;
        });
    }

    // ---- this process's work on batches

    /** Marks the batch as queued for this process's dispatcher; false when it already is queued or dispatching. */
    public boolean enqueue(String id) {
        if (dispatching.contains(id)) {
            return false;
        }
        return queued.add(id);
    }

    /** The dispatcher takes the batch from the queue; false when another dispatcher here already has it. */
    public boolean startDispatching(String id) {
        queued.remove(id);
        return dispatching.add(id);
    }

    public void endDispatching(String id) {
        dispatching.remove(id);
        idleCheck(id);
    }

    public boolean dispatchingHere(String id) {
        return dispatching.contains(id);
    }

    /** A chunk of the batch was created here (each key's count changes atomically, so none is ever lost). */
    public void chunkOpened(String id) {
        inFlight.merge(id, 1, Integer::sum);
    }

    /** A chunk created here has ended; the last one runs the idle hook. */
    public void chunkClosed(String id) {
        if (inFlight.computeIfPresent(id, (k, n) -> n > 1 ? n - 1 : null) == null) {
            idleCheck(id);
        }
    }

    /** Chunks of the batch created here and not yet ended (queued or being embedded). */
    public int inFlightHere(String id) {
        Integer n = inFlight.get(id);
        return n == null ? 0 : n;
    }

    /** Whether this process is dispatching the batch or has chunks of it queued or running. */
    public boolean busyHere(String id) {
        return queued.contains(id) || dispatchingHere(id) || inFlightHere(id) > 0;
    }

    /** Runs the idle hook now if this process has no work on the batch (e.g. right after a cancel). */
    public void idleCheckNow(String id) {
        idleCheck(id);
    }

    /** Called (with the batch id) when this process stops working on a batch; the supervisor hooks in here. */
    public void setOnIdle(java.util.function.Consumer<String> hook) {
        this.onIdleHook = hook;
    }

    private volatile java.util.function.Consumer<String> onIdleHook = id -> { };

    private void idleCheck(String id) {
        if (!busyHere(id)) {
            try {
                onIdleHook.accept(id);
            } catch (RuntimeException e) {
                LOG.warn("batch {}: {}", id, e.toString());
            }
        }
    }

    /** JSON bytes written by {@code body}. */
    public static byte[] json(JsonWriter body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }
}
