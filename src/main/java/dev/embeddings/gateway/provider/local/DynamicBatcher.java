package dev.embeddings.gateway.provider.local;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Dynamic batching for an in-process model, in the three stages of TEI's router:
 * <ol>
 *   <li><b>queue</b> ({@link #submit}): every caller (HTTP request, Kamelet, Kafka batch) enqueues its tokenised
 *       inputs and waits on a future;</li>
 *   <li><b>batch forming</b> ({@link #nextBatch}): one thread takes the oldest waiting request and adds the next
 *       ones in arrival order until the batch holds {@code maxBatchInputs} inputs or {@code maxDelayMs} have passed
 *       since the oldest arrived, whichever comes first; a request larger than the limit is cut into several
 *       batches, the rest of it first in line for the next one;</li>
 *   <li><b>model call</b> ({@link #run}): the batch's inputs in one call of the model function, whose vectors are
 *       split back to each request's future in its input order.</li>
 * </ol>
 * While the model runs, new requests queue up and form the next batch, so under load batches fill without any
 * waiting; {@code maxDelayMs} only matters when the model is idle. A failure of the model call fails the requests of
 * that batch only. With {@code maxBatchInputs = 1} every input runs alone (no batching), for comparison.
 *
 * <p>Why not Camel's Aggregator EIP: its completion timeout is checked by a background task once a second by
 * default, it counts exchanges rather than inputs, and its callers do not wait for the aggregate's result.
 *
 * @param <I> one tokenised input
 */
final class DynamicBatcher<I> implements AutoCloseable {

    /** One caller's inputs and where their vectors go. */
    private static final class Request<I> {
        final List<I> inputs;
        final float[][] out;
        final CompletableFuture<float[][]> done = new CompletableFuture<>();
        final long arrivedNanos = System.nanoTime();
        int next; // first input not yet in a batch
        int pending;

        Request(List<I> inputs) {
            this.inputs = inputs;
            this.out = new float[inputs.size()][];
            this.pending = inputs.size();
        }
    }

    /** A formed batch: slices of requests, in order. */
    private record Slice<I>(Request<I> request, int from, int to) {
    }

    private final BlockingQueue<Request<I>> queue = new LinkedBlockingQueue<>();
    private final Function<List<I>, float[][]> model;
    private final int maxBatchInputs;
    private final long maxDelayNanos;
    private final ExecutorService thread;
    private Request<I> carried; // a request only partly batched, first in line for the next batch
    private volatile boolean closed;
    private volatile boolean stopped; // the loop has ended
    final LongAdder batches = new LongAdder();
    final LongAdder batchedInputs = new LongAdder();

    /**
     * Starts the batch-forming thread on {@code thread} (a single-thread executor, owned by the batcher from now on).
     * {@code model} embeds a list of inputs into float[n][d] in order.
     */
    DynamicBatcher(Function<List<I>, float[][]> model, int maxBatchInputs, long maxDelayMs, ExecutorService thread) {
        if (maxBatchInputs < 1) {
            throw new IllegalArgumentException("maxBatchInputs must be at least 1");
        }
        this.model = model;
        this.maxBatchInputs = maxBatchInputs;
        this.maxDelayNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, maxDelayMs));
        this.thread = thread;
        thread.execute(this::loop);
    }

    /** Queues {@code inputs}; the future completes with their vectors in order, or with the model's failure. */
    CompletableFuture<float[][]> submit(List<I> inputs) {
        Request<I> r = new Request<>(inputs);
        if (inputs.isEmpty()) {
            r.done.complete(r.out);
            return r.done;
        }
        if (closed || thread.isShutdown()) {
            r.done.completeExceptionally(new IllegalStateException("the local model is stopped"));
            return r.done;
        }
        queue.add(r);
        if (stopped) {
            failQueued();
        }
        return r.done;
    }

    /** Forms and runs batches until {@link #close} or until its executor is shut down (Camel stopping its pools). */
    private void loop() {
        while (!closed && !thread.isShutdown()) {
            List<Slice<I>> batch;
            try {
                batch = nextBatch();
            } catch (InterruptedException e) {
                break;
            }
            if (batch != null) {
                run(batch);
            }
        }
        stopped = true;
        failQueued();
    }

    private void failQueued() {
        Request<I> r;
        while ((r = queue.poll()) != null) {
            r.done.completeExceptionally(new IllegalStateException("the local model is stopped"));
        }
    }

    /** Stage 2: up to maxBatchInputs inputs, waiting at most maxDelay after the oldest request's arrival. */
    private List<Slice<I>> nextBatch() throws InterruptedException {
        List<Slice<I>> batch = new ArrayList<>();
        int size = 0;
        Request<I> r = carried != null ? carried : queue.poll(200, TimeUnit.MILLISECONDS);
        carried = null;
        if (r == null) {
            return null;
        }
        long deadline = r.arrivedNanos + maxDelayNanos;
        while (r != null) {
            int take = Math.min(maxBatchInputs - size, r.inputs.size() - r.next);
            batch.add(new Slice<>(r, r.next, r.next + take));
            r.next += take;
            size += take;
            if (r.next < r.inputs.size()) {
                carried = r; // the rest goes first into the next batch
                break;
            }
            if (size == maxBatchInputs) {
                break;
            }
            r = queue.poll();
            if (r == null) {
                long wait = deadline - System.nanoTime();
                if (wait > 0) {
                    r = queue.poll(wait, TimeUnit.NANOSECONDS);
                }
            }
        }
        return batch;
    }

    /** Stage 3: one model call for the batch, vectors back to each request in order. */
    private void run(List<Slice<I>> batch) {
        List<I> inputs = new ArrayList<>();
        for (Slice<I> s : batch) {
            inputs.addAll(s.request().inputs.subList(s.from(), s.to()));
        }
        float[][] vectors;
        try {
            vectors = model.apply(inputs);
        } catch (RuntimeException | Error e) {
            for (Slice<I> s : batch) {
                s.request().done.completeExceptionally(e);
                if (s.request() == carried) {
                    carried = null;
                }
            }
            return;
        }
        batches.increment();
        batchedInputs.add(inputs.size());
        int k = 0;
        for (Slice<I> s : batch) {
            Request<I> r = s.request();
            for (int i = s.from(); i < s.to(); i++) {
                r.out[i] = vectors[k++];
            }
            r.pending -= s.to() - s.from();
            if (r.pending == 0) {
                r.done.complete(r.out);
            }
        }
    }

    /** Stops the thread; queued requests fail with IllegalStateException. */
    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
    }
}
