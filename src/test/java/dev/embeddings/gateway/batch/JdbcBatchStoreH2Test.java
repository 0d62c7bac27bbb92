package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.db.DatabaseSettings;
import dev.embeddings.gateway.db.SharedDatabase;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The batch store on the embedded H2 file database (the default), and what it keeps through a kill -9. */
class JdbcBatchStoreH2Test extends BatchStoreContract {

    @Override
    DatabaseSettings settings(Path dataDir) {
        return DatabaseSettings.embedded(dataDir);
    }

    /**
     * A process killed just after a write returned keeps that write: H2's default WRITE_DELAY (500 ms) lost the
     * last commits to a kill -9 (this test failed with it: the batch was gone on restart).
     */
    @Test
    void whatAWriteReturnedSurvivesAKilledProcess() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), JdbcBatchStoreH2Test.class.getName(), dir.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child finished");
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(9, p.exitValue(), out);
        JdbcBatchStore s = store();
        BatchJob b = s.batch("batch_killed").orElseThrow(() -> new AssertionError("batch lost: " + out));
        assertEquals(BatchStatus.IN_PROGRESS, b.status);
        assertEquals(List.of("batch_killed"), s.unfinishedBatches().stream().map(x -> x.id).toList());
        assertEquals(new BatchStore.Counts(3, 0), s.resultCounts("batch_killed"));
    }

    /** The child of {@link #whatAWriteReturnedSurvivesAKilledProcess}: writes, then dies at once (no shutdown). */
    public static void main(String[] args) throws Exception {
        Path data = Path.of(args[0]);
        SharedDatabase db = new SharedDatabase(DatabaseSettings.embedded(data), data, 2, 3000, null);
        JdbcBatchStore s = new JdbcBatchStore(db, data.resolve("tmp"));
        s.createBatch(batch("batch_killed", 1000, Owner.OPEN));
        s.updateBatch("batch_killed", b -> b.moveTo(BatchStatus.IN_PROGRESS, 2));
        s.appendResults("batch_killed", List.of(result(1, true), result(2, true), result(3, true)));
        Runtime.getRuntime().halt(9);
    }
}
