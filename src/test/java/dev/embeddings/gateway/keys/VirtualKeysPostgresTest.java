package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.db.PostgresServer;
import org.junit.jupiter.api.AfterAll;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The virtual-key suite on a real PostgreSQL server (general_settings.database_url). */
class VirtualKeysPostgresTest extends VirtualKeysContract {

    PostgresServer pg;

    @Override
    String databaseSettings() throws Exception {
        if (pg == null) {
            pg = PostgresServer.startNew();
        }
        return "  database_url: " + pg.url() + "\n";
    }

    @AfterAll
    void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }

    @Override
    void assertFilesFree(List<String> needles) throws Exception {
        // everything in the server's files: tables, indexes, WAL
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("CHECKPOINT");
        }
        int files = 0;
        try (var walk = Files.walk(pg.dataDir())) {
            for (Path f : walk.filter(Files::isRegularFile).toList()) {
                files++;
                String raw = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String n : needles) {
                    assertFalse(raw.contains(n), "key text in " + f);
                }
            }
        }
        assertTrue(files > 100, "scanned " + files + " files");
    }
}
