package dev.embeddings.gateway.provider.local;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batcher's stages with a model function that records its batches: coalescing, limits, order, failures. */
class DynamicBatcherTest {

    /** A "model" that answers input x with the vector {x}, records each batch, and can hold the first call. */
    static final class Recorder {
        final List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch firstStarted = new CountDownLatch(1);
        volatile boolean holdFirst;

        float[][] embed(List<Integer> inputs) {
            batches.add(List.copyOf(inputs));
            if (holdFirst && batches.size() == 1) {
                firstStarted.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (inputs.contains(-1)) {
                throw new IllegalStateException("model failure");
            }
            float[][] out = new float[inputs.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = new float[]{inputs.get(i)};
            }
            return out;
        }
    }

    static List<Integer> range(int from, int to) {
        List<Integer> l = new ArrayList<>();
        for (int i = from; i < to; i++) {
            l.add(i);
        }
        return l;
    }

    static void assertVectors(List<Integer> inputs, float[][] out) {
        assertEquals(inputs.size(), out.length);
        for (int i = 0; i < out.length; i++) {
            assertEquals((float) inputs.get(i), out[i][0], "input " + i);
        }
    }

    @Test
    void requestsQueuedWhileTheModelRunsShareTheNextCall() throws Exception {
        Recorder model = new Recorder();
        model.holdFirst = true;
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 32, 0, Executors.newSingleThreadExecutor())) {
            CompletableFuture<float[][]> first = b.submit(List.of(1000));
            assertTrue(model.firstStarted.await(10, TimeUnit.SECONDS));
            List<CompletableFuture<float[][]>> waiting = new ArrayList<>();
            for (int r = 0; r < 10; r++) {
                waiting.add(b.submit(range(r * 3, r * 3 + 3)));
            }
            model.release.countDown();
            assertVectors(List.of(1000), first.get(10, TimeUnit.SECONDS));
            for (int r = 0; r < 10; r++) {
                assertVectors(range(r * 3, r * 3 + 3), waiting.get(r).get(10, TimeUnit.SECONDS));
            }
            assertEquals(List.of(List.of(1000), range(0, 30)), model.batches, "ten requests, one model call, "
                    + "inputs in arrival order");
            assertEquals(2, b.batches.sum());
            assertEquals(31, b.batchedInputs.sum());
        }
    }

    @Test
    void batchesNeverExceedTheLimitAndLargeRequestsAreCutInOrder() throws Exception {
        Recorder model = new Recorder();
        model.holdFirst = true;
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 8, 0, Executors.newSingleThreadExecutor())) {
            CompletableFuture<float[][]> first = b.submit(List.of(1000));
            assertTrue(model.firstStarted.await(10, TimeUnit.SECONDS));
            CompletableFuture<float[][]> big = b.submit(range(0, 20));
            CompletableFuture<float[][]> small = b.submit(range(100, 103));
            model.release.countDown();
            first.get(10, TimeUnit.SECONDS);
            assertVectors(range(0, 20), big.get(10, TimeUnit.SECONDS));
            assertVectors(range(100, 103), small.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(List.of(1000), range(0, 8), range(8, 16), List.of(16, 17, 18, 19, 100, 101, 102)),
                    model.batches);
        }
    }

    @Test
    void anIdleModelWaitsAtMostTheDelayForCompany() throws Exception {
        Recorder model = new Recorder();
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 32, 300,
                Executors.newSingleThreadExecutor())) {
            CompletableFuture<float[][]> a = b.submit(List.of(1));
            CompletableFuture<float[][]> c = b.submit(List.of(2));
            assertVectors(List.of(1), a.get(10, TimeUnit.SECONDS));
            assertVectors(List.of(2), c.get(10, TimeUnit.SECONDS));
            assertEquals(List.of(List.of(1, 2)), model.batches, "the second arrived within the delay");
        }
    }

    @Test
    void batchSizeOneMeansNoBatching() throws Exception {
        Recorder model = new Recorder();
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 1, 50, Executors.newSingleThreadExecutor())) {
            assertVectors(List.of(5, 6, 7), b.submit(List.of(5, 6, 7)).get(10, TimeUnit.SECONDS));
            assertEquals(List.of(List.of(5), List.of(6), List.of(7)), model.batches);
        }
    }

    @Test
    void aModelFailureFailsItsBatchOnly() throws Exception {
        Recorder model = new Recorder();
        try (DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 4, 0, Executors.newSingleThreadExecutor())) {
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> b.submit(List.of(1, -1)).get(10, TimeUnit.SECONDS));
            assertInstanceOf(IllegalStateException.class, e.getCause());
            assertVectors(List.of(3, 4), b.submit(List.of(3, 4)).get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void aGracefulShutdownOfItsExecutorEndsTheBatcherThread() throws Exception {
        // Camel stops the pools it made with shutdown() and then waits 10 s before forcing them: the idle batcher
        // loop used to run on until forced, so every gateway with the local model took over 10 s to stop
        Recorder model = new Recorder();
        java.util.concurrent.ExecutorService executor = Executors.newSingleThreadExecutor();
        DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 4, 0, executor);
        assertVectors(List.of(7), b.submit(List.of(7)).get(10, TimeUnit.SECONDS));
        executor.shutdown();
        assertTrue(executor.awaitTermination(5, TimeUnit.SECONDS), "the batcher thread did not end");
        assertThrows(ExecutionException.class, () -> b.submit(List.of(8)).get(10, TimeUnit.SECONDS));
    }

    @Test
    void closingFailsWhatIsQueued() throws Exception {
        Recorder model = new Recorder();
        model.holdFirst = true;
        DynamicBatcher<Integer> b = new DynamicBatcher<>(model::embed, 4, 0, Executors.newSingleThreadExecutor());
        b.submit(List.of(1));
        assertTrue(model.firstStarted.await(10, TimeUnit.SECONDS));
        CompletableFuture<float[][]> queued = b.submit(List.of(2));
        b.close();
        model.release.countDown();
        assertThrows(ExecutionException.class, () -> queued.get(10, TimeUnit.SECONDS));
        assertThrows(ExecutionException.class, () -> b.submit(List.of(3)).get(10, TimeUnit.SECONDS));
    }
}
