package dev.embeddings.gateway.batch;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The file store: result log dedup (threads and two store instances), torn tails, state, the state machine. */
class FileBatchStoreTest {

    @TempDir
    Path dir;

    static BatchJob batch(String id) {
        BatchJob b = new BatchJob();
        b.id = id;
        b.endpoint = "/v1/embeddings";
        b.inputFileId = "file-x";
        b.completionWindow = "24h";
        b.status = BatchStatus.VALIDATING;
        b.createdAt = 1;
        b.createdAtMs = 1000;
        b.expiresAt = 86401;
        return b;
    }

    static LineResult result(int line, boolean ok) {
        return new LineResult(line, ok, ("{\"custom_id\":\"c" + line + "\"}").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eachLineIsRecordedOnceWhoeverAppendsItAndHoweverOften() throws Exception {
        try (FileBatchStore a = new FileBatchStore(dir); FileBatchStore b = new FileBatchStore(dir)) {
            a.createBatch(batch("batch_1"));
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<Integer>> added = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                // two "processes" (store instances), four threads each, all appending lines 1..500 in pieces
                FileBatchStore s = t % 2 == 0 ? a : b;
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
            List<Integer> order = new ArrayList<>();
            b.readResults("batch_1", r -> order.add(r.line()));
            assertEquals(500, order.size());
            for (int i = 0; i < 500; i++) {
                assertEquals(i + 1, order.get(i), "line order");
            }
            assertEquals(500, Files.readAllLines(dir.resolve("batches/batch_1/results.log")).size());
        }
    }

    @Test
    void aTornRecordAtTheEndIsCutOffAndItsLineRunsAgain() throws Exception {
        try (FileBatchStore s = new FileBatchStore(dir)) {
            s.createBatch(batch("batch_2"));
            s.appendResults("batch_2", List.of(result(1, true), result(2, true)));
        }
        Path log = dir.resolve("batches/batch_2/results.log");
        // a process killed in the middle of writing line 3's record
        try (FileChannel ch = FileChannel.open(log, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap("3\t1\t{\"custom_id\":\"c3\",\"respo".getBytes(StandardCharsets.UTF_8)));
        }
        try (FileBatchStore s = new FileBatchStore(dir)) {
            BitSet done = s.doneLines("batch_2");
            assertEquals(2, done.cardinality());
            assertFalse(done.get(3));
            BatchStore.Appended a = s.appendResults("batch_2", List.of(result(3, true), result(2, true)));
            assertEquals(1, a.added());
            assertEquals(new BatchStore.Counts(3, 0), a.counts());
            List<String> lines = Files.readAllLines(log);
            assertEquals(3, lines.size());
            assertEquals("3\t1\t{\"custom_id\":\"c3\"}", lines.get(2));
        }
    }

    @Test
    void batchStateChangesOnlyAsTheStateMachineAllows() throws Exception {
        try (FileBatchStore s = new FileBatchStore(dir)) {
            s.createBatch(batch("batch_3"));
            BatchJob b = s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.IN_PROGRESS, 5));
            assertEquals(BatchStatus.IN_PROGRESS, b.status);
            assertEquals(5L, b.inProgressAt);
            assertThrows(IllegalStateException.class,
                    () -> s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.COMPLETED, 6)));
            assertEquals(BatchStatus.IN_PROGRESS, s.batch("batch_3").orElseThrow().status, "aborted change not kept");
            s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.CANCELLING, 7));
            s.updateBatch("batch_3", x -> x.moveTo(BatchStatus.CANCELLED, 8));
            BatchJob done = s.batch("batch_3").orElseThrow();
            assertEquals(8L, done.cancelledAt);
            assertTrue(done.status.isFinal());
            for (BatchStatus to : BatchStatus.values()) {
                assertFalse(BatchStatus.CANCELLED.canMoveTo(to));
            }
            assertEquals(List.of(), s.unfinishedBatches().stream().map(x -> x.id).toList());
            // no temp files left from the atomic writes
            try (var files = Files.list(dir.resolve("batches/batch_3"))) {
                assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp-")));
            }
        }
    }

    @Test
    void filesAreStoredListedAndDeleted() throws Exception {
        try (FileBatchStore s = new FileBatchStore(dir)) {
            Path staged = s.newStagingFile();
            Files.writeString(staged, "hello\n");
            StoredFile f = s.putFile("file-abc", "a.jsonl", "batch", new Owner("virtual_key", "h1"), staged);
            assertFalse(Files.exists(staged), "staging file taken over");
            assertEquals(6, f.bytes());
            try (var in = s.openFile("file-abc")) {
                assertArrayEquals("hello\n".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
            }
            assertEquals(1, s.files(new Owner("virtual_key", "h1"), null, null, 10, false).items().size());
            assertEquals(0, s.files(new Owner("virtual_key", "h2"), null, null, 10, false).items().size());
            assertEquals(1, s.files(null, "batch", null, 10, false).items().size());
            assertTrue(s.deleteFile("file-abc"));
            assertFalse(s.deleteFile("file-abc"));
            assertTrue(s.file("file-abc").isEmpty());
            assertThrows(IOException.class, () -> s.openFile("file-abc"));
            assertTrue(s.file("../etc").isEmpty(), "ids never reach a path unchecked");
        }
    }
}
