package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.db.DatabaseSettings;
import dev.embeddings.gateway.db.PostgresServer;
import org.junit.jupiter.api.AfterAll;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.Map;

/** The batch store on a real PostgreSQL server: a fresh database per test on one server. */
class JdbcBatchStorePostgresTest extends BatchStoreContract {

    private PostgresServer pg;
    private int n;

    @Override
    DatabaseSettings settings(Path dataDir) throws Exception {
        if (pg == null) {
            pg = PostgresServer.startNew();
        }
        String name = "batches" + (++n);
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        String url = pg.url().replaceAll("/[A-Za-z0-9_]*$", "/" + name);
        return DatabaseSettings.resolve(url, Map.<String, String>of()::get, dataDir);
    }

    @AfterAll
    void stopPostgres() {
        if (pg != null) {
            pg.close();
        }
    }
}
