package dev.embeddings.gateway.db;

import org.h2.store.fs.FileBase;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded H2 database after H2 closed it on a fatal error. A break-it session saw this once: a download ran
 * the direct memory out inside an H2 read, H2 closed the database, and every key request got 503 until a restart,
 * because each pooled connection answers 90098 forever yet reports itself valid. Here the fatal error is a failed
 * file write, made by an H2 file system that wraps the real one and fails writes on demand.
 */
class EmbeddedDatabaseRecoveryTest {

    static volatile boolean failWrites;

    @Test
    void afterH2ClosesTheDatabaseThePoolOpensItAgain(@TempDir Path dir) throws Exception {
        FilePath.register(new FailingWrites());
        String url = DatabaseSettings.embedded(dir).jdbcUrl().replace("jdbc:h2:file:", "jdbc:h2:failwrites:");
        try (Database db = Database.open(new DatabaseSettings(url, null, null, true), 3, 3000)) {
            update(db, "CREATE TABLE probe (x INT)");
            update(db, "INSERT INTO probe VALUES (1)");
            failWrites = true;
            try {
                assertThrows(SQLException.class, () -> update(db, "INSERT INTO probe VALUES (2)"));
            } finally {
                failWrites = false;
            }
            // each pooled connection may fail once with 90098 (the pool then drops it); never more than the pool
            List<Integer> codes = new ArrayList<>();
            int rows = -1;
            for (int i = 0; i < 10 && rows < 0; i++) {
                try {
                    rows = count(db);
                } catch (SQLException e) {
                    codes.add(e.getErrorCode());
                }
            }
            assertEquals(1, rows, "the database never came back; failures: " + codes);
            assertTrue(codes.size() <= 3, "failures: " + codes);
            codes.forEach(c -> assertEquals(Database.ClosedH2Database.DATABASE_IS_CLOSED, c));
            update(db, "INSERT INTO probe VALUES (3)");
            assertEquals(2, count(db));
        }
    }

    private static void update(Database db, String sql) throws SQLException {
        try (Connection c = db.connection(); Statement s = c.createStatement()) {
            s.executeUpdate(sql);
        }
    }

    private static int count(Database db) throws SQLException {
        try (Connection c = db.connection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM probe")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** H2 file system {@code failwrites:}: the disk, with writes failing while {@link #failWrites} is set. */
    public static final class FailingWrites extends FilePathWrapper {
        @Override
        public String getScheme() {
            return "failwrites";
        }

        @Override
        public FileChannel open(String mode) throws IOException {
            return new Channel(getBase().open(mode));
        }
    }

    private static final class Channel extends FileBase {
        private final FileChannel base;

        Channel(FileChannel base) {
            this.base = base;
        }

        private static void check() throws IOException {
            if (failWrites) {
                throw new IOException("write failed (test)");
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return base.read(dst);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return base.read(dst, position);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            check();
            return base.write(src);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            check();
            return base.write(src, position);
        }

        @Override
        public long position() throws IOException {
            return base.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            base.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return base.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            check();
            base.truncate(size);
            return this;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            base.force(metaData);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return base.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            base.close();
        }
    }
}
