package dev.embeddings.gateway.batch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * Where files, batches and each batch's results live: {@link JdbcBatchStore}, in the gateway's database (the
 * embedded H2 file, or PostgreSQL shared by every replica). Callers never know how it is stored (an S3-compatible
 * store for files would be another implementation). Every method is safe to call from several threads and
 * processes: {@link #updateBatch} and {@link #appendResults} are atomic across them.
 *
 * <p>Durability: when a method that writes returns, what it wrote survives a killed process.
 */
public interface BatchStore extends AutoCloseable {

    /** One page of a listing, newest first unless asked otherwise; {@code hasMore} when items follow it. */
    record Page<T>(List<T> items, boolean hasMore) {
    }

    /** Completed / failed / done lines of a batch's result log. */
    record Counts(int completed, int failed) {
        public int done() {
            return completed + failed;
        }
    }

    /** What an append did: how many results were new, and the log's counts after it. */
    record Appended(int added, Counts counts) {
    }

    // ---- files ----

    /** A new, empty file on the store's own disk where an upload can be streamed before {@link #putFile}. */
    Path newStagingFile() throws IOException;

    /**
     * Stores {@code staged} (taking it over: it is moved or copied, then deleted) as the content of file {@code id}
     * and returns its record. An existing file with the same id is replaced atomically.
     */
    StoredFile putFile(String id, String filename, String purpose, Owner owner, Path staged) throws IOException;

    Optional<StoredFile> file(String id);

    /** The content of file {@code id}; {@link java.nio.file.NoSuchFileException} when it does not exist. */
    InputStream openFile(String id) throws IOException;

    /**
     * Files visible to {@code owner} (null: all) with {@code purpose} (null: any), ordered by creation time
     * ({@code ascending} or newest first), starting after the file {@code after} (null: from the start), at most
     * {@code limit}.
     */
    Page<StoredFile> files(Owner owner, String purpose, String after, int limit, boolean ascending);

    /** Deletes file {@code id}; false when there was none. */
    boolean deleteFile(String id) throws IOException;

    // ---- batches ----

    void createBatch(BatchJob batch) throws IOException;

    /** A copy of batch {@code id} as last persisted. */
    Optional<BatchJob> batch(String id);

    /**
     * Atomic read-modify-write of batch {@code id}: {@code change} gets a copy of the current state and returns the
     * new one (or null: no change), which is persisted before this returns it. {@code change} may throw to abort.
     */
    BatchJob updateBatch(String id, UnaryOperator<BatchJob> change) throws IOException;

    /** Batches visible to {@code owner} (null: all), newest first, after batch {@code after}, at most {@code limit}. */
    Page<BatchJob> batches(Owner owner, String after, int limit);

    /** Every batch whose status is not final (for resuming them). */
    List<BatchJob> unfinishedBatches();

    // ---- results of a batch ----

    /**
     * Appends the results whose line has none yet, durably, and returns how many were new and the counts after the
     * append. A line is recorded at most once, whoever appends it and however often (retries, a re-read Kafka
     * record, a restart).
     */
    Appended appendResults(String batchId, List<LineResult> results) throws IOException;

    /** How many lines of the batch have a result, and how many of those succeeded. */
    Counts resultCounts(String batchId) throws IOException;

    /** The line numbers that have a result. */
    BitSet doneLines(String batchId) throws IOException;

    /** Every recorded result of the batch, in line order. */
    void readResults(String batchId, Consumer<LineResult> visitor) throws IOException;

    @Override
    void close();
}
