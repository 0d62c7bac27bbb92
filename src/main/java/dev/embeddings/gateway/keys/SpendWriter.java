package dev.embeddings.gateway.keys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes spend to the database off the request path: requests {@link #add} a {@link SpendRecord} to an in-memory
 * queue, and one writer thread commits them in batches ({@code batchSize} records, or whatever came within
 * {@code flushMs}), in arrival order, each batch in one transaction ({@link KeyStore#applySpend}).
 *
 * <ul>
 *   <li><b>Database down</b>: the batch stays at the head of the queue and is retried (back-off from 200 ms to 5 s)
 *       until it commits; later records wait behind it, so order is kept. A batch whose commit failed after it
 *       reached the database is not counted twice: records carry their own ids and only new ones are added.</li>
 *   <li><b>Backlog</b>: {@link #backlogFull()} when {@code maxBacklog} records wait; the limits step then refuses
 *       virtual-key requests (503) rather than serve spend it cannot record.</li>
 *   <li><b>Clean stop</b>: {@link #stop} keeps writing until the queue is empty or {@code stopTimeoutMs} has passed;
 *       what could still not be written (database down) goes to {@code spend-pending-<time>.jsonl} in the data
 *       directory, which the next start reads back into the queue first. Nothing is lost on a clean stop.</li>
 *   <li><b>Crash</b> (kill -9, power loss): the records not yet committed are lost, at most {@code flushMs} of
 *       traffic (1 s by default) while the database is up, plus the backlog while it is down.</li>
 * </ul>
 * Between batches, when idle, the thread runs {@code periodic} (the keys module's budget resets and spend
 * refreshes), so that every read of stored spend is ordered with the commits.
 */
public final class SpendWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SpendWriter.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SPILL_PREFIX = "spend-pending-";

    /** Told about each committed batch: per key token_id, the cost committed and the stored spend afterwards. */
    interface Listener {
        void committed(Map<String, BigDecimal> amounts, Map<String, KeyStore.SpendState> stored);
    }

    private final KeyStore store;
    private final Listener listener;
    private final Runnable periodic;
    private final long periodicMs;
    private final int batchSize;
    private final long flushMs;
    private final int maxBacklog;
    private final Path spillDir;
    private final LinkedBlockingQueue<SpendRecord> queue = new LinkedBlockingQueue<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failedAttempts = new AtomicLong();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile long stopDeadlineNanos = Long.MAX_VALUE;
    private List<SpendRecord> current = List.of();

    SpendWriter(KeyStore store, Listener listener, Runnable periodic, long periodicMs, int batchSize, long flushMs,
                int maxBacklog, Path spillDir) {
        this.store = store;
        this.listener = listener;
        this.periodic = periodic;
        this.periodicMs = periodicMs;
        this.batchSize = batchSize;
        this.flushMs = flushMs;
        this.maxBacklog = maxBacklog;
        this.spillDir = spillDir;
        this.thread = new Thread(this::loop, "spend-writer");
        this.thread.setDaemon(true);
    }

    /** Reads back what a previous stop could not write, then starts the writer thread. */
    void start() {
        readSpills();
        thread.start();
    }

    /** Queues a record; never blocks. */
    public void add(SpendRecord r) {
        queue.add(r);
    }

    /** Whether the queue holds {@code maxBacklog} records or more. */
    public boolean backlogFull() {
        return queue.size() >= maxBacklog;
    }

    /** Records waiting (not yet committed), the batch being written included. */
    public int backlog() {
        return queue.size() + current.size();
    }

    /** Records committed since start. */
    public long written() {
        return written.get();
    }

    /** Batch writes that failed (and were retried). */
    public long failedAttempts() {
        return failedAttempts.get();
    }

    private void loop() {
        long nextPeriodic = System.nanoTime();
        long backoffMs = 200;
        while (true) {
            if (current.isEmpty()) {
                current = take();
            }
            if (current.isEmpty()) {
                if (stopping) {
                    return;
                }
                if (System.nanoTime() - nextPeriodic >= 0) {
                    runPeriodic();
                    nextPeriodic = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(periodicMs);
                }
                continue;
            }
            try {
                Map<String, KeyStore.SpendState> stored = store.applySpend(current, Instant.now());
                Map<String, BigDecimal> amounts = new HashMap<>();
                for (SpendRecord r : current) {
                    if (r.tokenId() != null) {
                        amounts.merge(r.tokenId(), r.spend(), BigDecimal::add);
                    }
                }
                written.addAndGet(current.size());
                current = List.of();
                backoffMs = 200;
                listener.committed(amounts, stored);
                if (System.nanoTime() - nextPeriodic >= 0 && queue.size() < batchSize) {
                    runPeriodic();
                    nextPeriodic = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(periodicMs);
                }
            } catch (RuntimeException e) {
                failedAttempts.incrementAndGet();
                if (stopping && System.nanoTime() - stopDeadlineNanos >= 0) {
                    return;
                }
                sleep(backoffMs);
                backoffMs = Math.min(5000, backoffMs * 2);
            }
        }
    }

    /** The next batch: up to batchSize records, waiting at most flushMs for the first of them. */
    private List<SpendRecord> take() {
        List<SpendRecord> batch = new ArrayList<>(Math.min(batchSize, 64));
        try {
            SpendRecord first = queue.poll(stopping ? 10 : flushMs, TimeUnit.MILLISECONDS);
            if (first == null) {
                return List.of();
            }
            batch.add(first);
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(stopping ? 0 : Math.min(flushMs, 50));
            while (batch.size() < batchSize) {
                long left = until - System.nanoTime();
                SpendRecord next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                if (next == null) {
                    break;
                }
                batch.add(next);
                queue.drainTo(batch, batchSize - batch.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return batch;
    }

    private void runPeriodic() {
        try {
            periodic.run();
        } catch (RuntimeException e) {
            // the database is down: the next round tries again
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Writes what is queued (up to {@code timeoutMs}), then stops the thread; records still unwritten (database
     * down) are saved to a spill file in the data directory for the next start.
     */
    void stop(long timeoutMs) {
        stopDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        stopping = true;
        try {
            thread.join(timeoutMs + 6000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<SpendRecord> left = new ArrayList<>(current);
        queue.drainTo(left);
        if (!left.isEmpty()) {
            spill(left);
        }
    }

    private void spill(List<SpendRecord> left) {
        Path file = spillDir.resolve(SPILL_PREFIX + System.currentTimeMillis() + ".jsonl");
        try {
            Files.createDirectories(spillDir);
            try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                for (SpendRecord r : left) {
                    w.write(JSON.writeValueAsString(toJson(r)));
                    w.newLine();
                }
            }
            LOG.warn("the database was unreachable at stop: {} spend records saved to {}; they are written at "
                    + "the next start", left.size(), file);
        } catch (IOException e) {
            BigDecimal total = left.stream().map(SpendRecord::spend).reduce(BigDecimal.ZERO, BigDecimal::add);
            LOG.error("the database was unreachable at stop and {} could not be written: {} spend records "
                    + "(USD {}) are lost", file, left.size(), total.toPlainString());
        }
    }

    private void readSpills() {
        if (!Files.isDirectory(spillDir)) {
            return;
        }
        try (var files = Files.list(spillDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().startsWith(SPILL_PREFIX)).sorted().toList()) {
                int n = 0;
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        queue.add(fromJson(JSON.readTree(line)));
                        n++;
                    }
                }
                Files.delete(f);
                LOG.info("{} spend records from the last stop ({}) queued for the database", n, f.getFileName());
            }
        } catch (IOException e) {
            LOG.error("could not read spend records saved at the last stop in {}: {}", spillDir, e.getMessage());
        }
    }

    private static Map<String, Object> toJson(SpendRecord r) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("id", r.id());
        m.put("request_id", r.requestId());
        m.put("token_id", r.tokenId());
        m.put("user_id", r.userId());
        m.put("team_id", r.teamId());
        m.put("end_user", r.endUser());
        m.put("model", r.model());
        m.put("model_group", r.modelGroup());
        m.put("model_id", r.modelId());
        m.put("provider", r.provider());
        m.put("prompt_tokens", r.promptTokens());
        m.put("spend", r.spend().toPlainString());
        m.put("start_time", r.startTime().toString());
        m.put("end_time", r.endTime().toString());
        return m;
    }

    private static SpendRecord fromJson(JsonNode n) {
        return new SpendRecord(text(n, "id"), text(n, "request_id"), text(n, "token_id"),
                text(n, "user_id"), text(n, "team_id"), text(n, "end_user"), text(n, "model"), text(n, "model_group"),
                text(n, "model_id"), text(n, "provider"), n.get("prompt_tokens").asLong(),
                new BigDecimal(text(n, "spend")), Instant.parse(text(n, "start_time")),
                Instant.parse(text(n, "end_time")));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }
}
