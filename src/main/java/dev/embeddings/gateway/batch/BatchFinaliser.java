package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Body;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The finaliser of {@code routes/batches.yaml}: records the results of finished lines in the batch's result log (at
 * most once per line, whatever arrives twice), and once every line has one, assembles the output file (the 200
 * answers) and the error file (the others), in line order, and completes the batch. Cancelled and expired batches
 * are finished the same way, their lines that never ran written to the error file with
 * {@code error.code} {@code batch_cancelled} / {@code batch_expired}.
 *
 * <p>Finishing is idempotent: the output and error files have ids fixed by the batch id, so a finish interrupted by
 * a kill and done again (by the supervisor, here or on another replica once the lease expired) writes the same
 * files. {@code request_counts} are frozen with the files.
 */
public final class BatchFinaliser {

    private static final Logger LOG = LoggerFactory.getLogger(BatchFinaliser.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BatchService service;
    private final Set<String> finishing = ConcurrentHashMap.newKeySet();

    public BatchFinaliser(BatchService service) {
        this.service = service;
    }

    /**
     * Camel entry ({@code direct:batch-finalise}): appends {@code results} to the log of {@code batchId} and returns
     * whether the batch now has a result for every line (and is still in progress).
     */
    public boolean record(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId, @Body List<LineResult> results)
            throws IOException {
        BatchStatus status = service.status(batchId);
        if (status == null || status.isFinal()) {
            return false;
        }
        BatchStore.Appended a = service.store().appendResults(batchId, results == null ? List.of() : results);
        BatchService.Facts f = service.facts(batchId);
        return status == BatchStatus.IN_PROGRESS && f != null && a.counts().done() >= f.total();
    }

    /** Every line has a result and the batch is in progress. */
    boolean isComplete(String batchId) throws IOException {
        BatchJob b = service.store().batch(batchId).orElse(null);
        if (b == null || b.status != BatchStatus.IN_PROGRESS) {
            return false;
        }
        return service.store().resultCounts(batchId).done() >= b.requestCounts.total;
    }

    /** Camel entry: finishes a batch whose every line has a result: finalizing → completed. */
    public void complete(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId) {
        finish(batchId, BatchStatus.COMPLETED);
    }

    /**
     * Finishes batch {@code id} as {@code target}: {@code completed} (from in_progress, through finalizing),
     * {@code cancelled} (from cancelling) or {@code expired} (from validating / in_progress past its
     * {@code expires_at}). Returns false when the batch is not in a state for it, or another instance (or thread)
     * is finishing it.
     */
    public boolean finish(String id, BatchStatus target) {
        if (!finishing.add(id)) {
            return false;
        }
        try {
            BatchJob b = claim(id, target);
            if (b == null) {
                return false;
            }
            String code = switch (target) {
                case CANCELLED -> "batch_cancelled";
                case EXPIRED -> "batch_expired";
                default -> null;
            };
            Assembled a = assemble(b, code);
            long now = BatchService.nowSeconds();
            BatchJob done = service.update(id, x -> {
                if (!x.status.canMoveTo(target)) {
                    return null;
                }
                x.moveTo(target, now);
                x.outputFileId = a.outputFileId;
                x.errorFileId = a.errorFileId;
                x.requestCounts.completed = a.completed;
                x.requestCounts.failed = a.failed;
                x.leaseHolder = null;
                x.leaseUntil = 0;
                return x;
            });
            if (done.status == target) {
                LOG.info("batch {} {}: {} of {} lines succeeded, {} failed", id, target.apiName(), a.completed,
                        done.requestCounts.total, a.failed);
                return true;
            }
            return false;
        } catch (IOException e) {
            LOG.warn("batch {}: could not finish it ({}); it will be tried again", id, e.toString());
            return false;
        } finally {
            finishing.remove(id);
        }
    }

    private BatchJob claim(String id, BatchStatus target) {
        long nowMs = System.currentTimeMillis();
        long now = BatchService.nowSeconds();
        String me = service.instance();
        BatchJob[] claimed = new BatchJob[1];
        service.update(id, b -> {
            boolean free = b.leaseHolder == null || b.leaseHolder.equals(me) || b.leaseUntil < nowMs;
            switch (target) {
                case COMPLETED -> {
                    if (b.status == BatchStatus.IN_PROGRESS) {
                        b.moveTo(BatchStatus.FINALIZING, now);
                    } else if (b.status != BatchStatus.FINALIZING || !free) {
                        return null;
                    }
                }
                case CANCELLED -> {
                    if (b.status != BatchStatus.CANCELLING || !free) {
                        return null;
                    }
                }
                case EXPIRED -> {
                    if (!b.status.isRunning() || b.expiresAt > now || !free) {
                        return null;
                    }
                }
                default -> throw new IllegalArgumentException("cannot finish a batch as " + target);
            }
            b.leaseHolder = me;
            b.leaseUntil = nowMs + service.settings().leaseMs();
            claimed[0] = b;
            return b;
        });
        return claimed[0];
    }

    private record Assembled(String outputFileId, String errorFileId, int completed, int failed) {
    }

    /** Writes the output and error files from the result log (line order), plus the lines that never ran. */
    private Assembled assemble(BatchJob b, String unfinishedCode) throws IOException {
        BatchStore store = service.store();
        Path out = store.newStagingFile();
        Path err = store.newStagingFile();
        int[] counts = new int[3];
        BitSet done = new BitSet();
        try {
            try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(out), 1 << 16);
                 OutputStream e = new BufferedOutputStream(Files.newOutputStream(err), 1 << 16)) {
                store.readResults(b.id, r -> {
                    done.set(r.line());
                    try {
                        OutputStream target = r.ok() ? o : e;
                        target.write(r.json());
                        target.write('\n');
                    } catch (IOException ex) {
                        throw new UncheckedIOException(ex);
                    }
                    counts[r.ok() ? 0 : 1]++;
                });
                if (unfinishedCode != null) {
                    counts[2] = writeUnfinished(b, done, unfinishedCode, e);
                }
            } catch (UncheckedIOException ex) {
                throw ex.getCause();
            }
            Owner owner = b.owner == null ? Owner.OPEN : b.owner;
            String outputId = null;
            String errorId = null;
            if (counts[0] > 0) {
                outputId = store.putFile(Ids.outputFile(b.id), b.id + "_output.jsonl",
                        FilesApi.PURPOSE_BATCH_OUTPUT, owner, out).id();
            }
            if (counts[1] + counts[2] > 0) {
                errorId = store.putFile(Ids.errorFile(b.id), b.id + "_error.jsonl",
                        FilesApi.PURPOSE_BATCH_OUTPUT, owner, err).id();
            }
            return new Assembled(outputId, errorId, counts[0], counts[1]);
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Error lines for the input lines without a result; returns how many. */
    private int writeUnfinished(BatchJob b, BitSet done, String code, OutputStream e) throws IOException {
        String message = "batch_cancelled".equals(code) ? "The batch was cancelled before this request ran."
                : "This request could not be executed before the completion window expired.";
        int n = 0;
        int requests = 0;
        int max = service.settings().maxLines();
        try (InputStream in = service.store().openFile(b.inputFileId);
             LineReader reader = new LineReader(in, service.settings().maxLineBytes())) {
            LineReader.Line l;
            while ((l = reader.next()) != null && requests < max) {
                if (l.blank()) {
                    continue;
                }
                requests++;
                if (done.get(l.number())) {
                    continue;
                }
                String customId = null;
                if (l.bytes() != null) {
                    try {
                        JsonNode id = JSON.readTree(l.bytes()).get("custom_id");
                        customId = id != null && id.isTextual() ? id.asText() : null;
                    } catch (IOException | RuntimeException ignored) {
                        // not a request line: no custom_id to name
                    }
                }
                String cid = customId;
                e.write(BatchService.json(g -> {
                    g.writeStartObject();
                    g.writeStringField("id", Ids.request());
                    g.writeStringField("custom_id", cid);
                    g.writeNullField("response");
                    g.writeObjectFieldStart("error");
                    g.writeStringField("code", code);
                    g.writeStringField("message", message);
                    g.writeEndObject();
                    g.writeEndObject();
                }));
                e.write('\n');
                n++;
            }
        } catch (NoSuchFileException gone) {
            LOG.warn("batch {}: its input file {} is gone; its unfinished lines are not listed", b.id, b.inputFileId);
        }
        return n;
    }
}
