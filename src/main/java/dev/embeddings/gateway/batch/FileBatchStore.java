package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The {@link BatchStore} in the data directory ({@code --data-dir}, default {@code ./data}):
 * <pre>
 * files/&lt;file id&gt;/content, meta.json        a file's bytes, then its record (written last: the file exists once
 *                                              meta.json does)
 * batches/&lt;batch id&gt;/batch.json             the batch's state, rewritten whole on every change
 * batches/&lt;batch id&gt;/results.log            one record per finished line, appended (LineResult.encode + '\n')
 * batches/&lt;batch id&gt;/.lock                  held (OS file lock) around every read-modify-write of the two above
 * tmp/                                        uploads being received
 * </pre>
 * Every whole-file write is atomic: temp file in the same folder, fsync, rename over the target, fsync of the
 * folder, so a killed process (or machine) leaves the old version or the new one, never a mix. The result log is
 * appended under the lock and fsynced before {@link #appendResults} returns; a record torn by a crash (no final
 * newline, or unreadable) is cut off the next time the log is read, and its line is simply done again.
 *
 * <p>Locks are OS file locks plus an in-process lock, so several gateway processes may share one data directory
 * on one host (or a shared file system with working POSIX locks, such as NFSv4); replicas on several hosts need the
 * database store.
 */
public final class FileBatchStore implements BatchStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileBatchStore.class);
    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    private static final Duration STALE_STAGING = Duration.ofHours(1);

    private final Path root;
    private final Path files;
    private final Path batches;
    private final Path tmp;
    /** In-process locks by lock file (static: OS file locks are per JVM, whatever store instance asks). */
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LogState> logs = new ConcurrentHashMap<>();

    /** What this process knows of one result log: read up to {@code size} bytes. */
    private static final class LogState {
        final BitSet done = new BitSet();
        int completed;
        int failed;
        long size;
    }

    /** Opens (creating) the store in {@code dir}, and removes staging files and half-written files older than 1 h. */
    public FileBatchStore(Path dir) throws IOException {
        this.root = dir.toAbsolutePath().normalize();
        this.files = Files.createDirectories(root.resolve("files"));
        this.batches = Files.createDirectories(root.resolve("batches"));
        this.tmp = Files.createDirectories(root.resolve("tmp"));
        cleanUp();
    }

    public Path root() {
        return root;
    }

    private void cleanUp() throws IOException {
        Instant old = Instant.now().minus(STALE_STAGING);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmp)) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(old)) {
                    Files.deleteIfExists(p);
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(files)) {
            for (Path d : ds) {
                if (!Files.exists(d.resolve("meta.json")) && Files.getLastModifiedTime(d).toInstant().isBefore(old)) {
                    deleteTree(d);
                }
            }
        }
    }

    // ---------------------------------------------------------------- files

    @Override
    public Path newStagingFile() throws IOException {
        return Files.createTempFile(tmp, "upload-", ".part");
    }

    @Override
    public StoredFile putFile(String id, String filename, String purpose, Owner owner, Path staged) throws IOException {
        checkId(id);
        Path dir = Files.createDirectories(files.resolve(id));
        long bytes = Files.size(staged);
        try (FileChannel ch = FileChannel.open(staged, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        move(staged, dir.resolve("content"));
        StoredFile f = new StoredFile(id, bytes, System.currentTimeMillis(), filename, purpose, owner);
        writeAtomically(dir.resolve("meta.json"), JSON.writeValueAsBytes(f));
        return f;
    }

    @Override
    public Optional<StoredFile> file(String id) {
        if (!Ids.wellFormed(id)) {
            return Optional.empty();
        }
        return readJson(files.resolve(id).resolve("meta.json"), StoredFile.class);
    }

    @Override
    public InputStream openFile(String id) throws IOException {
        if (!Ids.wellFormed(id) || !Files.exists(files.resolve(id).resolve("meta.json"))) {
            throw new NoSuchFileException(id);
        }
        return Files.newInputStream(files.resolve(id).resolve("content"));
    }

    @Override
    public Page<StoredFile> files(Owner owner, String purpose, String after, int limit, boolean ascending) {
        List<StoredFile> all = new ArrayList<>();
        for (Path d : list(files)) {
            readJson(d.resolve("meta.json"), StoredFile.class)
                    .filter(f -> owner == null || sameKey(owner, f.owner()))
                    .filter(f -> purpose == null || purpose.equals(f.purpose()))
                    .ifPresent(all::add);
        }
        Comparator<StoredFile> order = Comparator.comparingLong(StoredFile::createdAtMs).thenComparing(StoredFile::id);
        all.sort(ascending ? order : order.reversed());
        return page(all, after == null ? null : f -> f.id().equals(after), limit);
    }

    @Override
    public boolean deleteFile(String id) throws IOException {
        if (!Ids.wellFormed(id)) {
            return false;
        }
        Path dir = files.resolve(id);
        if (!Files.deleteIfExists(dir.resolve("meta.json"))) {
            return false;
        }
        fsyncDir(dir);
        deleteTree(dir);
        return true;
    }

    // ---------------------------------------------------------------- batches

    @Override
    public void createBatch(BatchJob batch) throws IOException {
        checkId(batch.id);
        Path dir = Files.createDirectories(batches.resolve(batch.id));
        writeAtomically(dir.resolve("batch.json"), JSON.writeValueAsBytes(batch));
        fsyncDir(batches);
    }

    @Override
    public Optional<BatchJob> batch(String id) {
        if (!Ids.wellFormed(id)) {
            return Optional.empty();
        }
        return readJson(batches.resolve(id).resolve("batch.json"), BatchJob.class);
    }

    @Override
    public BatchJob updateBatch(String id, UnaryOperator<BatchJob> change) throws IOException {
        checkId(id);
        return locked(id, () -> {
            Path file = batches.resolve(id).resolve("batch.json");
            BatchJob current = readJson(file, BatchJob.class).orElseThrow(() -> new NoSuchFileException(id));
            BatchJob next = change.apply(current.copy());
            if (next == null) {
                return current;
            }
            writeAtomically(file, JSON.writeValueAsBytes(next));
            return next.copy();
        });
    }

    @Override
    public Page<BatchJob> batches(Owner owner, String after, int limit) {
        List<BatchJob> all = allBatches(b -> owner == null || sameKey(owner, b.owner));
        return page(all, after == null ? null : b -> b.id.equals(after), limit);
    }

    @Override
    public List<BatchJob> unfinishedBatches() {
        return allBatches(b -> !b.status.isFinal());
    }

    private List<BatchJob> allBatches(Predicate<BatchJob> filter) {
        List<BatchJob> all = new ArrayList<>();
        for (Path d : list(batches)) {
            readJson(d.resolve("batch.json"), BatchJob.class).filter(filter).ifPresent(all::add);
        }
        all.sort(Comparator.comparingLong((BatchJob b) -> b.createdAtMs).thenComparing(b -> b.id).reversed());
        return all;
    }

    // ---------------------------------------------------------------- results

    @Override
    public Appended appendResults(String batchId, List<LineResult> results) throws IOException {
        checkId(batchId);
        if (results.isEmpty()) {
            return new Appended(0, resultCounts(batchId));
        }
        return locked(batchId, () -> {
            Path file = batches.resolve(batchId).resolve("results.log");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                LogState s = refresh(batchId, ch);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                BitSet added = new BitSet();
                int completed = 0;
                int failed = 0;
                for (LineResult r : results) {
                    if (r.line() < 1 || s.done.get(r.line()) || added.get(r.line())) {
                        continue;
                    }
                    added.set(r.line());
                    out.write(r.encode());
                    out.write('\n');
                    if (r.ok()) {
                        completed++;
                    } else {
                        failed++;
                    }
                }
                if (added.isEmpty()) {
                    return new Appended(0, new Counts(s.completed, s.failed));
                }
                ByteBuffer buf = ByteBuffer.wrap(out.toByteArray());
                long pos = s.size;
                while (buf.hasRemaining()) {
                    pos += ch.write(buf, pos);
                }
                ch.force(false);
                s.size = pos;
                s.done.or(added);
                s.completed += completed;
                s.failed += failed;
                return new Appended(added.cardinality(), new Counts(s.completed, s.failed));
            }
        });
    }

    @Override
    public Counts resultCounts(String batchId) throws IOException {
        return withLog(batchId, s -> new Counts(s.completed, s.failed));
    }

    @Override
    public BitSet doneLines(String batchId) throws IOException {
        return withLog(batchId, s -> (BitSet) s.done.clone());
    }

    @Override
    public void readResults(String batchId, Consumer<LineResult> visitor) throws IOException {
        checkId(batchId);
        Path file = batches.resolve(batchId).resolve("results.log");
        if (!Files.exists(file)) {
            return;
        }
        long[] offsets;
        int[] lengths;
        long size;
        // where each line's record starts, read under the lock; the records themselves are only ever appended
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            Object[] index = locked(batchId, () -> {
                LogState s = refresh(batchId, ch);
                long[] off = new long[s.done.length()];
                int[] len = new int[s.done.length()];
                scan(ch, 0, s.size, (line, start, end, ok) -> {
                    off[line] = start;
                    len[line] = (int) (end - start);
                });
                return new Object[]{off, len, s.size};
            });
            offsets = (long[]) index[0];
            lengths = (int[]) index[1];
            size = (long) index[2];
            for (int line = 1; line < offsets.length; line++) {
                if (lengths[line] == 0) {
                    continue;
                }
                ByteBuffer buf = ByteBuffer.allocate(lengths[line]);
                long pos = offsets[line];
                while (buf.hasRemaining() && pos < size) {
                    int n = ch.read(buf, pos);
                    if (n < 0) {
                        break;
                    }
                    pos += n;
                }
                visitor.accept(LineResult.decode(buf.array(), 0, buf.position()));
            }
        }
    }

    private <T> T withLog(String batchId, java.util.function.Function<LogState, T> read) throws IOException {
        checkId(batchId);
        Path file = batches.resolve(batchId).resolve("results.log");
        if (!Files.exists(file)) {
            return read.apply(new LogState());
        }
        return locked(batchId, () -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                return read.apply(refresh(batchId, ch));
            }
        });
    }

    /**
     * Brings this process's view of the log up to the file (another process may have appended); cuts off a torn
     * tail. Call with the batch's lock held.
     */
    private LogState refresh(String batchId, FileChannel ch) throws IOException {
        LogState s = logs.computeIfAbsent(batchId, k -> new LogState());
        long fileSize = ch.size();
        if (fileSize < s.size) {
            // replaced or truncated under us: read it again from the start
            s.done.clear();
            s.completed = 0;
            s.failed = 0;
            s.size = 0;
        }
        if (fileSize == s.size) {
            return s;
        }
        long good = scan(ch, s.size, fileSize, (line, start, end, ok) -> {
            if (!s.done.get(line)) {
                s.done.set(line);
                if (ok) {
                    s.completed++;
                } else {
                    s.failed++;
                }
            }
        });
        if (good < fileSize) {
            LOG.warn("batch {}: cutting {} bytes of a torn result record off its log (its line runs again)",
                    batchId, fileSize - good);
            ch.truncate(good);
            ch.force(false);
        }
        s.size = good;
        return s;
    }

    private interface RecordVisitor {
        void record(int line, long start, long end, boolean ok);
    }

    /**
     * Reads the records of {@code ch} in {@code [from, to)}, one per '\n'-terminated line, and returns the offset
     * after the last good one (a record without its newline, or unreadable, ends the scan).
     */
    private static long scan(FileChannel ch, long from, long to, RecordVisitor visitor) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 16);
        long recordStart = from;
        long pos = from;
        ByteArrayOutputStream head = new ByteArrayOutputStream(32);
        int tabs = 0;
        boolean headDone = false;
        int line = -1;
        boolean ok = false;
        byte first = 0;
        byte last = 0;
        while (pos < to) {
            buf.clear();
            if (to - pos < buf.capacity()) {
                buf.limit((int) (to - pos));
            }
            int n = ch.read(buf, pos);
            if (n <= 0) {
                break;
            }
            buf.flip();
            for (int i = 0; i < n; i++) {
                byte b = buf.get(i);
                long at = pos + i;
                if (b == '\n') {
                    if (!headDone || line < 1 || first != '{' || last != '}') {
                        return recordStart;
                    }
                    visitor.record(line, recordStart, at, ok);
                    recordStart = at + 1;
                    head.reset();
                    tabs = 0;
                    headDone = false;
                    line = -1;
                    first = 0;
                    continue;
                }
                if (!headDone) {
                    if (b == '\t') {
                        tabs++;
                        if (tabs == 1) {
                            try {
                                line = Integer.parseInt(head.toString(java.nio.charset.StandardCharsets.US_ASCII));
                            } catch (NumberFormatException e) {
                                return recordStart;
                            }
                            head.reset();
                        } else {
                            String flag = head.toString(java.nio.charset.StandardCharsets.US_ASCII);
                            if (!flag.equals("1") && !flag.equals("0")) {
                                return recordStart;
                            }
                            ok = flag.equals("1");
                            headDone = true;
                        }
                    } else if (head.size() > 16) {
                        return recordStart;
                    } else {
                        head.write(b);
                    }
                } else {
                    if (first == 0) {
                        first = b;
                    }
                    last = b;
                }
            }
            pos += n;
        }
        return recordStart;
    }

    // ---------------------------------------------------------------- helpers

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Runs {@code body} holding batch {@code id}'s lock: in this process, then the OS file lock. */
    private <T> T locked(String id, IoSupplier<T> body) throws IOException {
        Path dir = batches.resolve(id);
        ReentrantLock lock = LOCKS.computeIfAbsent(dir, k -> new ReentrantLock());
        lock.lock();
        try {
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(id);
            }
            try (FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                return body.get();
            }
        } finally {
            lock.unlock();
        }
    }

    private static boolean sameKey(Owner filter, Owner owner) {
        String k = owner == null ? null : owner.keyHash();
        return filter.keyHash() != null && filter.keyHash().equals(k);
    }

    private static <T> Page<T> page(List<T> sorted, Predicate<T> isAfter, int limit) {
        int start = 0;
        if (isAfter != null) {
            for (int i = 0; i < sorted.size(); i++) {
                if (isAfter.test(sorted.get(i))) {
                    start = i + 1;
                    break;
                }
            }
        }
        int end = Math.min(sorted.size(), start + Math.max(0, limit));
        return new Page<>(List.copyOf(sorted.subList(start, end)), end < sorted.size());
    }

    private static List<Path> list(Path dir) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            ds.forEach(out::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static <T> Optional<T> readJson(Path file, Class<T> type) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), type));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static void checkId(String id) {
        if (!Ids.wellFormed(id)) {
            throw new IllegalArgumentException("malformed id");
        }
    }

    /** temp file beside {@code target}, fsync, rename over it, fsync the folder. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path temp = target.resolveSibling(target.getFileName() + ".tmp-" + Ids.random(8));
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        move(temp, target);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // another file system (a staging folder elsewhere): copy beside the target, then rename
            Path temp = to.resolveSibling(to.getFileName() + ".tmp-" + Ids.random(8));
            Files.copy(from, temp);
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(temp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(from);
        }
        fsyncDir(to.getParent());
    }

    private static void fsyncDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems cannot fsync a directory; the rename itself is still atomic
            LOG.debug("cannot fsync {}: {}", dir, e.getMessage());
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Override
    public void close() {
        logs.clear();
    }
}
