package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.db.DatabaseSettings;
import dev.embeddings.gateway.db.SharedDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batch store on a real database: each line recorded once whoever appends it (threads and two stores with their
 * own pools, as two replicas), the state machine under the row lock, results dropped at a final status, chunked
 * files (replaced atomically, listed in pages, deleted), batch listings. Subclasses give the database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BatchStoreContract {

    @TempDir
    Path dir;

    private final List<SharedDatabase> opened = new ArrayList<>();

    /** The database settings of one test (a fresh database each time). */
    abstract DatabaseSettings settings(Path dataDir) throws Exception;

    private DatabaseSettings current;

    @BeforeEach
    void freshDatabase() throws Exception {
        current = settings(dir);
    }

    /** A store with its own connection pool (as another replica would have). */
    JdbcBatchStore store() throws IOException {
        SharedDatabase db = new SharedDatabase(current, dir, 4, 3000, null);
        opened.add(db);
        return new JdbcBatchStore(db, dir.resolve("tmp"));
    }

    @AfterEach
    void closeDatabases() {
        opened.forEach(SharedDatabase::close);
        opened.clear();
    }

    static BatchJob batch(String id, long createdAtMs, Owner owner) {
        BatchJob b = new BatchJob();
        b.id = id;
        b.endpoint = "/v1/embeddings";
        b.inputFileId = "file-x";
        b.completionWindow = "24h";
        b.status = BatchStatus.VALIDATING;
        b.createdAt = createdAtMs / 1000;
        b.createdAtMs = createdAtMs;
        b.expiresAt = b.createdAt + 86400;
        b.owner = owner;
        return b;
    }

    static LineResult result(int line, boolean ok) {
        return new LineResult(line, ok, ("{\"custom_id\":\"c" + line + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eachLineIsRecordedOnceWhoeverAppendsItAndHoweverOften() throws Exception {
        JdbcBatchStore a = store();
        JdbcBatchStore b = store();
        a.createBatch(batch("batch_1", 1000, Owner.OPEN));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<Integer>> added = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            // two replicas (stores with their own pools), four threads each, all appending lines 1..500 in pieces
            JdbcBatchStore s = t % 2 == 0 ? a : b;
            int offset = t;
            added.add(pool.submit(() -> {
                int n = 0;
                for (int from = 1 + offset; from <= 500; from += 7) {
                    List<LineResult> rs = new ArrayList<>();
                    for (int l = from; l < from + 10 && l <= 500; l++) {
                        rs.add(result(l, l % 10 != 0));
                    }
                    n += s.appendResults("batch_1", rs).added();
                }
                return n;
            }));
        }
        int total = 0;
        for (Future<Integer> f : added) {
            total += f.get();
        }
        pool.shutdown();
        assertEquals(500, total, "each line appended exactly once");
        assertEquals(new BatchStore.Counts(450, 50), a.resultCounts("batch_1"));
        assertEquals(new BatchStore.Counts(450, 50), b.resultCounts("batch_1"));
        assertEquals(500, b.doneLines("batch_1").cardinality());
        List<Integer> order = new ArrayList<>();
        List<String> json = new ArrayList<>();
        b.readResults("batch_1", r -> {
            order.add(r.line());
            json.add(new String(r.json(), StandardCharsets.UTF_8));
        });
        assertEquals(500, order.size());
        for (int i = 0; i < 500; i++) {
            assertEquals(i + 1, order.get(i), "line order");
            assertEquals("{\"custom_id\":\"c" + (i + 1) + "\"}", json.get(i));
        }
        // a repeated append (a re-read Kafka record, a retry) adds nothing and keeps the counts
        BatchStore.Appended again = a.appendResults("batch_1", List.of(result(7, false), result(10, true)));
        assertEquals(0, again.added());
        assertEquals(new BatchStore.Counts(450, 50), again.counts());
    }

    @Test
    void batchStateChangesOnlyAsTheStateMachineAllowsAndResultsGoAtTheEnd() throws Exception {
        JdbcBatchStore s = store();
        s.createBatch(batch("batch_3", 1000, Owner.OPEN));
        BatchJob b = s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.IN_PROGRESS, 5));
        assertEquals(BatchStatus.IN_PROGRESS, b.status);
        assertEquals(5L, b.inProgressAt);
        assertThrows(IllegalStateException.class,
                () -> s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.COMPLETED, 6)));
        assertEquals(BatchStatus.IN_PROGRESS, s.batch("batch_3").orElseThrow().status, "aborted change not kept");
        assertEquals(List.of("batch_3"), s.unfinishedBatches().stream().map(x -> x.id).toList());
        s.appendResults("batch_3", List.of(result(1, true), result(2, false)));
        s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.CANCELLING, 7));
        assertEquals(2, s.doneLines("batch_3").cardinality(), "results kept until the batch is final");
        s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.CANCELLED, 8));
        BatchJob done = s.batch("batch_3").orElseThrow();
        assertEquals(8L, done.cancelledAt);
        assertTrue(done.status.isFinal());
        assertEquals(List.of(), s.unfinishedBatches().stream().map(x -> x.id).toList());
        assertEquals(0, s.doneLines("batch_3").cardinality(), "the output files hold them now");
        assertEquals(0, s.appendResults("batch_3", List.of(result(3, true))).added(), "a late result adds nothing");
        assertEquals(0, s.doneLines("batch_3").cardinality());
        assertThrows(IOException.class, () -> s.updateBatch("batch_none", x -> x));
        assertTrue(s.batch("batch_none").isEmpty());
    }

    @Test
    void filesAreChunkedReplacedWholeListedAndDeleted() throws Exception {
        JdbcBatchStore s = store();
        Path staged = s.newStagingFile();
        Files.writeString(staged, "hello\n");
        StoredFile f = s.putFile("file-abc", "a.jsonl", "batch", new Owner("virtual_key", "h1"), staged);
        assertFalse(Files.exists(staged), "staging file taken over");
        assertEquals(6, f.bytes());
        try (InputStream in = s.openFile("file-abc")) {
            assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
        }
        // over one transaction's worth of chunks (4 MiB), not a multiple of the chunk size
        byte[] big = new byte[JdbcBatchStore.CHUNK * (JdbcBatchStore.CHUNKS_PER_COMMIT + 3) + 12345];
        new Random(7).nextBytes(big);
        Path staged2 = s.newStagingFile();
        Files.write(staged2, big);
        StoredFile replaced = s.putFile("file-abc", "b.jsonl", "batch", new Owner("virtual_key", "h1"), staged2);
        assertEquals(big.length, replaced.bytes());
        try (InputStream in = store().openFile("file-abc")) {
            assertArrayEquals(big, in.readAllBytes(), "read back whole, by another replica");
        }
        assertEquals("b.jsonl", s.file("file-abc").orElseThrow().filename());

        Path empty = s.newStagingFile();
        s.putFile("file-empty", "e.jsonl", "batch_output", Owner.OPEN, empty);
        try (InputStream in = s.openFile("file-empty")) {
            assertEquals(0, in.readAllBytes().length);
        }

        assertEquals(List.of("file-abc"), ids(s.files(new Owner("virtual_key", "h1"), null, null, 10, false)));
        assertEquals(List.of(), ids(s.files(new Owner("virtual_key", "h2"), null, null, 10, false)));
        assertEquals(List.of("file-abc"), ids(s.files(null, "batch", null, 10, false)));
        assertEquals(List.of("file-empty"), ids(s.files(null, "batch_output", null, 10, true)));

        assertTrue(s.deleteFile("file-abc"));
        assertFalse(s.deleteFile("file-abc"));
        assertTrue(s.file("file-abc").isEmpty());
        assertThrows(IOException.class, () -> s.openFile("file-abc"));
        assertTrue(s.file("../etc").isEmpty(), "malformed ids find nothing");
    }

    @Test
    void listingsArePagedInCreationOrderAndByOwner() throws Exception {
        JdbcBatchStore s = store();
        Owner alice = new Owner("virtual_key", "alice");
        for (int i = 1; i <= 5; i++) {
            s.createBatch(batch("batch_" + i, 1000L * i, i % 2 == 0 ? alice : Owner.OPEN));
            Path p = s.newStagingFile();
            Files.writeString(p, "x");
            s.putFile("file-" + i, i + ".jsonl", "batch", Owner.OPEN, p);
            Thread.sleep(2);
        }
        BatchStore.Page<BatchJob> first = s.batches(null, null, 2);
        assertEquals(List.of("batch_5", "batch_4"), first.items().stream().map(b -> b.id).toList());
        assertTrue(first.hasMore());
        BatchStore.Page<BatchJob> rest = s.batches(null, "batch_4", 10);
        assertEquals(List.of("batch_3", "batch_2", "batch_1"), rest.items().stream().map(b -> b.id).toList());
        assertFalse(rest.hasMore());
        assertEquals(List.of("batch_4", "batch_2"), s.batches(alice, null, 10).items().stream().map(b -> b.id).toList());
        assertEquals(List.of(), s.batches(new Owner("virtual_key", "bob"), null, 10).items());

        assertEquals(List.of("file-1", "file-2"), ids(s.files(null, null, null, 2, true)));
        assertEquals(List.of("file-3", "file-4", "file-5"), ids(s.files(null, null, "file-2", 10, true)));
        assertEquals(List.of("file-2", "file-1"), ids(s.files(null, null, "file-3", 10, false)));
    }

    private static List<String> ids(BatchStore.Page<StoredFile> page) {
        return page.items().stream().map(StoredFile::id).toList();
    }
}
