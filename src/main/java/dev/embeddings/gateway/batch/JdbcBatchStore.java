package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.embeddings.gateway.db.Database;
import dev.embeddings.gateway.db.SharedDatabase;
import dev.embeddings.gateway.security.Redactor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * The {@link BatchStore} in the gateway's database ({@link SharedDatabase}: the embedded H2 file in the data
 * directory by default, PostgreSQL when {@code database_url} / {@code DATABASE_URL} is set), so every replica that
 * uses the same database shares files, batches and results. Tables: {@code db/migration/V2__batch_files_and_state.sql}.
 *
 * <ul>
 *   <li>Files: the bytes in chunks of {@value #CHUNK} bytes under a fresh content id, committed every
 *       {@value #CHUNKS_PER_COMMIT} chunks (bounded transactions); the file's row is pointed at the new content in
 *       one transaction that drops the old one, so a reader never sees two versions mixed. A writer that died
 *       leaves a {@code batch_file_uploads} row; its chunks are deleted an hour later.</li>
 *   <li>Batches: the {@link BatchJob} as JSON plus the columns queries need. {@link #updateBatch} and
 *       {@link #appendResults} are read-modify-writes under the batch row's lock ({@code SELECT ... FOR UPDATE}), so
 *       they are atomic across threads and processes.</li>
 *   <li>Results: one row per line ({@code batch_results}), recorded once whoever appends it; the batch row keeps the
 *       counts. When a batch reaches a final status its results are deleted (its output and error files hold
 *       them), and later appends add nothing.</li>
 * </ul>
 * Uploads are staged in {@code <data dir>/tmp} before they are copied in. The database is opened on first use: a
 * gateway that never uses batches (and has no master key) creates no database. SQL failures surface as
 * IOException (or UncheckedIOException from the methods that declare none) and mark the database disconnected for
 * readiness; messages are redacted.
 */
public final class JdbcBatchStore implements BatchStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcBatchStore.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** Bytes per content chunk. */
    static final int CHUNK = 256 * 1024;
    /** Chunks written per transaction while a file is copied in (4 MiB). */
    static final int CHUNKS_PER_COMMIT = 16;
    private static final Duration STALE = Duration.ofHours(1);
    private static final String FINAL_STATUSES = "('completed','failed','expired','cancelled')";

    private final SharedDatabase shared;
    private final Path staging;
    private volatile boolean cleaned;

    /**
     * A store over {@code shared} (opened on first use) staging uploads in {@code stagingDir} (created; files older
     * than an hour there are removed).
     */
    public JdbcBatchStore(SharedDatabase shared, Path stagingDir) throws IOException {
        this.shared = shared;
        this.staging = Files.createDirectories(stagingDir);
        Instant old = Instant.now().minus(STALE);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(staging, "upload-*.part")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(old)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    // ---------------------------------------------------------------- files

    @Override
    public Path newStagingFile() throws IOException {
        return Files.createTempFile(staging, "upload-", ".part");
    }

    @Override
    public StoredFile putFile(String id, String filename, String purpose, Owner owner, Path staged) throws IOException {
        checkId(id);
        Owner o = owner == null ? Owner.OPEN : owner;
        String contentId = Ids.random(32);
        long bytes = 0;
        int chunks = 0;
        tx(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO batch_file_uploads (content_id, started_at_ms) VALUES (?, ?)")) {
                s.setString(1, contentId);
                s.setLong(2, System.currentTimeMillis());
                s.executeUpdate();
            }
            return null;
        });
        try (InputStream in = Files.newInputStream(staged)) {
            byte[] buf = new byte[CHUNK];
            boolean more = true;
            while (more) {
                int[] counted = new int[1];
                long[] size = new long[1];
                int first = chunks;
                more = tx(c -> {
                    try (PreparedStatement s = c.prepareStatement(
                            "INSERT INTO batch_file_chunks (content_id, seq, data) VALUES (?, ?, ?)")) {
                        for (int k = 0; k < CHUNKS_PER_COMMIT; k++) {
                            int n = in.readNBytes(buf, 0, CHUNK);
                            if (n == 0) {
                                return false;
                            }
                            s.setString(1, contentId);
                            s.setInt(2, first + counted[0]);
                            s.setBytes(3, n == CHUNK ? buf : java.util.Arrays.copyOf(buf, n));
                            s.executeUpdate();
                            counted[0]++;
                            size[0] += n;
                            if (n < CHUNK) {
                                return false;
                            }
                        }
                        return true;
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                chunks += counted[0];
                bytes += size[0];
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        long now = System.currentTimeMillis();
        long total = bytes;
        int count = chunks;
        StoredFile f = new StoredFile(id, total, now, filename, purpose, o);
        tx(c -> {
            String old = lockContentId(c, id);
            if (old == null) {
                try (PreparedStatement s = c.prepareStatement("INSERT INTO batch_files (content_id, bytes, chunks, "
                        + "created_at_ms, filename, purpose, owner_kind, owner_key_hash, id) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                    bindFile(s, contentId, f, count);
                    s.executeUpdate();
                }
            } else {
                try (PreparedStatement s = c.prepareStatement("UPDATE batch_files SET content_id = ?, bytes = ?, "
                        + "chunks = ?, created_at_ms = ?, filename = ?, purpose = ?, owner_kind = ?, "
                        + "owner_key_hash = ? WHERE id = ?")) {
                    bindFile(s, contentId, f, count);
                    s.executeUpdate();
                }
                deleteContent(c, old);
            }
            uploadEnded(c, contentId);
            return null;
        });
        Files.deleteIfExists(staged);
        cleanUpOnce();
        return f;
    }

    private static void bindFile(PreparedStatement s, String contentId, StoredFile f, int chunks) throws SQLException {
        s.setString(1, contentId);
        s.setLong(2, f.bytes());
        s.setInt(3, chunks);
        s.setLong(4, f.createdAtMs());
        s.setString(5, f.filename());
        s.setString(6, f.purpose());
        s.setString(7, f.owner().kind() == null ? Owner.OPEN.kind() : f.owner().kind());
        s.setString(8, f.owner().keyHash());
        s.setString(9, f.id());
    }

    /** The content id of file {@code id}, its row locked until {@code c}'s transaction ends; null when none. */
    private static String lockContentId(Connection c, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT content_id FROM batch_files WHERE id = ? FOR UPDATE")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getString(1) : null;
            }
        }
    }

    /** Content {@code contentId} is no longer being written (it is a file's now, or its chunks are gone). */
    private static void uploadEnded(Connection c, String contentId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM batch_file_uploads WHERE content_id = ?")) {
            s.setString(1, contentId);
            s.executeUpdate();
        }
    }

    private static void deleteContent(Connection c, String contentId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM batch_file_chunks WHERE content_id = ?")) {
            s.setString(1, contentId);
            s.executeUpdate();
        }
    }

    /** Once per process, after the first upload: the chunks of uploads whose writer died over an hour ago. */
    private void cleanUpOnce() {
        if (cleaned) {
            return;
        }
        cleaned = true;
        try {
            long before = System.currentTimeMillis() - STALE.toMillis();
            List<String> dead = query("SELECT content_id FROM batch_file_uploads WHERE started_at_ms < ?",
                    s -> s.setLong(1, before), r -> r.getString(1));
            for (String contentId : dead) {
                tx(c -> {
                    deleteContent(c, contentId);
                    uploadEnded(c, contentId);
                    return null;
                });
            }
            if (!dead.isEmpty()) {
                LOG.info("removed {} half-written batch file(s) left by a stopped gateway", dead.size());
            }
        } catch (IOException | UncheckedIOException e) {
            cleaned = false;
        }
    }

    @Override
    public Optional<StoredFile> file(String id) {
        if (!Ids.wellFormed(id) || !opened()) {
            return Optional.empty();
        }
        return unchecked(() -> query(FILE_COLUMNS + " WHERE id = ?", s -> s.setString(1, id), JdbcBatchStore::storedFile))
                .stream().findFirst();
    }

    private static final String FILE_COLUMNS =
            "SELECT id, bytes, created_at_ms, filename, purpose, owner_kind, owner_key_hash FROM batch_files";

    private static StoredFile storedFile(ResultSet r) throws SQLException {
        return new StoredFile(r.getString(1), r.getLong(2), r.getLong(3), r.getString(4), r.getString(5),
                new Owner(r.getString(6), r.getString(7)));
    }

    @Override
    public InputStream openFile(String id) throws IOException {
        if (!Ids.wellFormed(id) || !opened()) {
            throw new NoSuchFileException(id);
        }
        record Content(String contentId, int chunks) {
        }
        List<Content> found = query("SELECT content_id, chunks FROM batch_files WHERE id = ?",
                s -> s.setString(1, id), r -> new Content(r.getString(1), r.getInt(2)));
        if (found.isEmpty()) {
            throw new NoSuchFileException(id);
        }
        return new ChunkStream(found.get(0).contentId(), found.get(0).chunks());
    }

    /** The chunks of one content, fetched one query at a time as they are read. */
    private final class ChunkStream extends InputStream {
        private final String contentId;
        private final int chunks;
        private int next;
        private byte[] current = new byte[0];
        private int pos;

        ChunkStream(String contentId, int chunks) {
            this.contentId = contentId;
            this.chunks = chunks;
        }

        private boolean fill() throws IOException {
            while (pos >= current.length) {
                if (next >= chunks) {
                    return false;
                }
                int seq = next++;
                List<byte[]> data = query("SELECT data FROM batch_file_chunks WHERE content_id = ? AND seq = ?", s -> {
                    s.setString(1, contentId);
                    s.setInt(2, seq);
                }, r -> r.getBytes(1));
                if (data.isEmpty()) {
                    throw new IOException("the file was replaced or deleted while it was read");
                }
                current = data.get(0);
                pos = 0;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? current[pos++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }

    @Override
    public Page<StoredFile> files(Owner owner, String purpose, String after, int limit, boolean ascending) {
        if (!opened() || (owner != null && owner.keyHash() == null)) {
            return new Page<>(List.of(), false);
        }
        return unchecked(() -> {
            StringBuilder sql = new StringBuilder(FILE_COLUMNS).append(" WHERE 1 = 1");
            List<Object> args = new ArrayList<>();
            if (owner != null) {
                sql.append(" AND owner_key_hash = ?");
                args.add(owner.keyHash());
            }
            if (purpose != null) {
                sql.append(" AND purpose = ?");
                args.add(purpose);
            }
            Optional<StoredFile> from = after == null ? Optional.empty() : file(after);
            if (from.isPresent()) {
                String cmp = ascending ? ">" : "<";
                sql.append(" AND (created_at_ms ").append(cmp).append(" ? OR (created_at_ms = ? AND id ").append(cmp)
                        .append(" ?))");
                args.add(from.get().createdAtMs());
                args.add(from.get().createdAtMs());
                args.add(from.get().id());
            }
            String dir = ascending ? " ASC" : " DESC";
            sql.append(" ORDER BY created_at_ms").append(dir).append(", id").append(dir).append(" LIMIT ?");
            args.add(Math.max(0, limit) + 1);
            return page(query(sql.toString(), s -> bind(s, args), JdbcBatchStore::storedFile), limit);
        });
    }

    @Override
    public boolean deleteFile(String id) throws IOException {
        if (!Ids.wellFormed(id) || !opened()) {
            return false;
        }
        return tx(c -> {
            String contentId = lockContentId(c, id);
            if (contentId == null) {
                return false;
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM batch_files WHERE id = ?")) {
                s.setString(1, id);
                s.executeUpdate();
            }
            deleteContent(c, contentId);
            return true;
        });
    }

    // ---------------------------------------------------------------- batches

    @Override
    public void createBatch(BatchJob batch) throws IOException {
        checkId(batch.id);
        byte[] state = JSON.writeValueAsBytes(batch);
        tx(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO batches (id, status, owner_key_hash, "
                    + "created_at_ms, state) VALUES (?, ?, ?, ?, ?)")) {
                s.setString(1, batch.id);
                s.setString(2, batch.status.apiName());
                s.setString(3, batch.owner == null ? null : batch.owner.keyHash());
                s.setLong(4, batch.createdAtMs);
                s.setString(5, new String(state, java.nio.charset.StandardCharsets.UTF_8));
                s.executeUpdate();
            }
            return null;
        });
    }

    @Override
    public Optional<BatchJob> batch(String id) {
        if (!Ids.wellFormed(id) || !opened()) {
            return Optional.empty();
        }
        return unchecked(() -> query("SELECT state FROM batches WHERE id = ?", s -> s.setString(1, id),
                r -> parse(r.getString(1)))).stream().findFirst();
    }

    @Override
    public BatchJob updateBatch(String id, UnaryOperator<BatchJob> change) throws IOException {
        checkId(id);
        return tx(c -> {
            BatchJob current = lockBatch(c, id);
            if (current == null) {
                throw new NoSuchFileException(id);
            }
            BatchJob next = change.apply(current.copy());
            if (next == null) {
                return current;
            }
            try (PreparedStatement s = c.prepareStatement(
                    "UPDATE batches SET status = ?, owner_key_hash = ?, state = ? WHERE id = ?")) {
                s.setString(1, next.status.apiName());
                s.setString(2, next.owner == null ? null : next.owner.keyHash());
                s.setString(3, JSON.writeValueAsString(next));
                s.setString(4, id);
                s.executeUpdate();
            }
            if (next.status.isFinal() && !current.status.isFinal()) {
                // the output and error files hold the results now
                try (PreparedStatement s = c.prepareStatement("DELETE FROM batch_results WHERE batch_id = ?")) {
                    s.setString(1, id);
                    s.executeUpdate();
                }
            }
            return next.copy();
        });
    }

    /** The batch's state, its row locked until {@code c}'s transaction ends; null when there is no such batch. */
    private static BatchJob lockBatch(Connection c, String id) throws SQLException, IOException {
        try (PreparedStatement s = c.prepareStatement("SELECT state FROM batches WHERE id = ? FOR UPDATE")) {
            s.setString(1, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? JSON.readValue(r.getString(1), BatchJob.class) : null;
            }
        }
    }

    @Override
    public Page<BatchJob> batches(Owner owner, String after, int limit) {
        if (!opened() || (owner != null && owner.keyHash() == null)) {
            return new Page<>(List.of(), false);
        }
        return unchecked(() -> {
            StringBuilder sql = new StringBuilder("SELECT state FROM batches WHERE 1 = 1");
            List<Object> args = new ArrayList<>();
            if (owner != null) {
                sql.append(" AND owner_key_hash = ?");
                args.add(owner.keyHash());
            }
            Optional<BatchJob> from = after == null ? Optional.empty() : batch(after);
            if (from.isPresent()) {
                sql.append(" AND (created_at_ms < ? OR (created_at_ms = ? AND id < ?))");
                args.add(from.get().createdAtMs);
                args.add(from.get().createdAtMs);
                args.add(from.get().id);
            }
            sql.append(" ORDER BY created_at_ms DESC, id DESC LIMIT ?");
            args.add(Math.max(0, limit) + 1);
            return page(query(sql.toString(), s -> bind(s, args), r -> parse(r.getString(1))), limit);
        });
    }

    @Override
    public List<BatchJob> unfinishedBatches() {
        if (!opened()) {
            return List.of();
        }
        return unchecked(() -> query("SELECT state FROM batches WHERE status NOT IN " + FINAL_STATUSES
                + " ORDER BY created_at_ms DESC, id DESC", s -> { }, r -> parse(r.getString(1))));
    }

    // ---------------------------------------------------------------- results

    @Override
    public Appended appendResults(String batchId, List<LineResult> results) throws IOException {
        checkId(batchId);
        if (results.isEmpty()) {
            return new Appended(0, resultCounts(batchId));
        }
        return tx(c -> {
            BatchJob b = lockBatch(c, batchId);
            if (b == null) {
                throw new NoSuchFileException(batchId);
            }
            Counts before = counts(c, batchId);
            if (b.status.isFinal()) {
                return new Appended(0, before);
            }
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (LineResult r : results) {
                if (r.line() >= 1) {
                    min = Math.min(min, r.line());
                    max = Math.max(max, r.line());
                }
            }
            if (max == 0) {
                return new Appended(0, before);
            }
            BitSet done = new BitSet();
            int lo = min;
            int hi = max;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT line FROM batch_results WHERE batch_id = ? AND line BETWEEN ? AND ?")) {
                s.setString(1, batchId);
                s.setInt(2, lo);
                s.setInt(3, hi);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        done.set(r.getInt(1));
                    }
                }
            }
            int completed = 0;
            int failed = 0;
            try (PreparedStatement s = c.prepareStatement(
                    "INSERT INTO batch_results (batch_id, line, ok, result) VALUES (?, ?, ?, ?)")) {
                for (LineResult r : results) {
                    if (r.line() < 1 || done.get(r.line())) {
                        continue;
                    }
                    done.set(r.line());
                    s.setString(1, batchId);
                    s.setInt(2, r.line());
                    s.setBoolean(3, r.ok());
                    s.setBytes(4, r.json());
                    s.addBatch();
                    if (r.ok()) {
                        completed++;
                    } else {
                        failed++;
                    }
                }
                if (completed + failed == 0) {
                    return new Appended(0, before);
                }
                s.executeBatch();
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE batches SET results_completed = results_completed"
                    + " + ?, results_failed = results_failed + ? WHERE id = ?")) {
                s.setInt(1, completed);
                s.setInt(2, failed);
                s.setString(3, batchId);
                s.executeUpdate();
            }
            return new Appended(completed + failed,
                    new Counts(before.completed() + completed, before.failed() + failed));
        });
    }

    private static Counts counts(Connection c, String batchId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT results_completed, results_failed FROM batches WHERE id = ?")) {
            s.setString(1, batchId);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? new Counts(r.getInt(1), r.getInt(2)) : new Counts(0, 0);
            }
        }
    }

    @Override
    public Counts resultCounts(String batchId) throws IOException {
        checkId(batchId);
        if (!opened()) {
            return new Counts(0, 0);
        }
        return tx(c -> counts(c, batchId));
    }

    @Override
    public BitSet doneLines(String batchId) throws IOException {
        checkId(batchId);
        BitSet done = new BitSet();
        if (!opened()) {
            return done;
        }
        query("SELECT line FROM batch_results WHERE batch_id = ?", s -> s.setString(1, batchId), r -> {
            done.set(r.getInt(1));
            return null;
        });
        return done;
    }

    @Override
    public void readResults(String batchId, Consumer<LineResult> visitor) throws IOException {
        checkId(batchId);
        if (!opened()) {
            return;
        }
        // streamed: a cursor (auto-commit off, a fetch size) instead of every row in memory at once
        tx(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT line, ok, result FROM batch_results WHERE batch_id = ? ORDER BY line")) {
                s.setFetchSize(256);
                s.setString(1, batchId);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        visitor.accept(new LineResult(r.getInt(1), r.getBoolean(2), r.getBytes(3)));
                    }
                }
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- helpers

    /** Whether the database is (or can be) there: reads of a database never created find nothing. */
    private boolean opened() {
        return shared.ifOpen() != null || shared.exists();
    }

    private interface SqlWork<T> {
        T run(Connection c) throws SQLException, IOException;
    }

    private interface Binder {
        void bind(PreparedStatement s) throws SQLException;
    }

    private interface RowMapper<T> {
        T map(ResultSet r) throws SQLException, IOException;
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Runs {@code work} in one transaction (committed when it returns, rolled back when it throws). */
    private <T> T tx(SqlWork<T> work) throws IOException {
        Database d = shared.open();
        try (Connection c = d.connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                d.succeeded();
                return result;
            } catch (SQLException | IOException | RuntimeException e) {
                rollback(c);
                throw e;
            }
        } catch (SQLException e) {
            d.failed(e);
            throw new IOException("batch store: " + reason(e), e);
        }
    }

    private static void rollback(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken: the pool drops it, the database drops the transaction
        }
    }

    private <T> List<T> query(String sql, Binder binder, RowMapper<T> mapper) throws IOException {
        return tx(c -> {
            List<T> out = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                binder.bind(s);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        T t = mapper.map(r);
                        if (t != null) {
                            out.add(t);
                        }
                    }
                }
            }
            return out;
        });
    }

    private static void bind(PreparedStatement s, List<Object> args) throws SQLException {
        for (int i = 0; i < args.size(); i++) {
            s.setObject(i + 1, args.get(i));
        }
    }

    private static <T> T unchecked(IoSupplier<T> body) {
        try {
            return body.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BatchJob parse(String json) throws IOException {
        return JSON.readValue(json, BatchJob.class);
    }

    private static <T> Page<T> page(List<T> rows, int limit) {
        int n = Math.max(0, limit);
        return rows.size() > n ? new Page<>(List.copyOf(rows.subList(0, n)), true) : new Page<>(List.copyOf(rows), false);
    }

    private static String reason(SQLException e) {
        String m = e.getMessage() == null ? "SQL error " + e.getSQLState() : e.getMessage();
        return Redactor.redact(m.replaceAll("\\s+", " ").strip());
    }

    private static void checkId(String id) {
        if (!Ids.wellFormed(id)) {
            throw new IllegalArgumentException("malformed id");
        }
    }

    /** Nothing to release: the database is the gateway's and closes after the batch beans stop. */
    @Override
    public void close() {
    }
}
