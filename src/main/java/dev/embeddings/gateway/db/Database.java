package dev.embeddings.gateway.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import dev.embeddings.gateway.config.ConfigException;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The gateway's one database, shared by every package that keeps state in it (virtual keys and spend today,
 * durable batches next): a HikariCP pool over the JDBC URL of {@link DatabaseSettings}, migrated by Flyway at
 * {@link #open} from {@code classpath:db/migration} ({@code src/main/resources/db/migration/V<n>__<what>.sql}; one
 * folder, one version sequence, portable SQL that runs on PostgreSQL and on H2 in PostgreSQL mode).
 *
 * <p>Other packages obtain it from the Camel registry (bean {@value #BEAN}) or from the keys module; they never
 * open a pool of their own. {@link #status()} is what {@code /health/readiness} reports: whoever talks to the
 * database records the outcome with {@link #succeeded()} / {@link #failed}.
 */
public final class Database implements AutoCloseable {

    /** Registry name of the shared instance. */
    public static final String BEAN = "database";

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final DatabaseSettings settings;
    private final HikariDataSource pool;
    private final AtomicReference<String> status = new AtomicReference<>("connected");

    private Database(DatabaseSettings settings, HikariDataSource pool) {
        this.settings = settings;
        this.pool = pool;
    }

    /**
     * Connects and migrates. Throws ConfigException (one line, no secret) when the database cannot be reached or
     * migrated: the gateway does not start without it.
     *
     * @param poolSize         the pool's maximum connections
     * @param connectTimeoutMs how long a caller waits for a connection (and a new connection may take) before failing
     */
    public static Database open(DatabaseSettings settings, int poolSize, long connectTimeoutMs) {
        HikariConfig c = new HikariConfig();
        c.setPoolName("gateway-db");
        c.setJdbcUrl(settings.jdbcUrl());
        if (settings.user() != null) {
            c.setUsername(settings.user());
        }
        if (settings.password() != null) {
            c.setPassword(settings.password());
        }
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(1);
        c.setConnectionTimeout(Math.max(250, connectTimeoutMs));
        c.setValidationTimeout(Math.max(250, Math.min(connectTimeoutMs, 5000)));
        // fail at once when the database is down at start; afterwards the pool retries on its own
        c.setInitializationFailTimeout(Math.max(1, connectTimeoutMs));
        if (settings.postgres()) {
            c.addDataSourceProperty("connectTimeout", String.valueOf(Math.max(1, connectTimeoutMs / 1000)));
            c.addDataSourceProperty("socketTimeout", "30");
            c.addDataSourceProperty("tcpKeepAlive", "true");
            c.addDataSourceProperty("ApplicationName", "embeddings-gateway");
        }
        if (!settings.postgres()) {
            c.setExceptionOverride(new ClosedH2Database());
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new ConfigException("cannot open the database " + settings.describe() + ": " + reason(e));
        }
        try {
            Flyway.configure(Database.class.getClassLoader())
                    .dataSource(pool)
                    .locations("classpath:db/migration")
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            pool.close();
            throw new ConfigException("cannot migrate the database " + settings.describe() + ": " + reason(e));
        }
        LOG.info("database {} ready ({})", settings.describe(), settings.postgres() ? "PostgreSQL" : "H2");
        return new Database(settings, pool);
    }

    /**
     * Evicts a pooled H2 connection once H2 has closed its database after a fatal error (error 90098, "The database
     * has been closed": a failed file write, or a direct-memory OutOfMemoryError inside a read). Such a connection
     * still reports itself valid and fails every statement, so the pool would keep it, and the gateway would answer
     * 503 to every key until a restart. A new connection opens the database file again.
     */
    static final class ClosedH2Database implements SQLExceptionOverride {

        /** H2's {@code ErrorCode.DATABASE_IS_CLOSED}. */
        static final int DATABASE_IS_CLOSED = 90098;

        @java.lang.Override
        public Override adjudicate(SQLException e) {
            return e.getErrorCode() == DATABASE_IS_CLOSED ? Override.MUST_EVICT : Override.CONTINUE_EVICT;
        }
    }

    /** The innermost message of a failure, redacted, on one line. */
    private static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return dev.embeddings.gateway.security.Redactor.redact(m.replaceAll("\\s+", " ").strip());
    }

    public DataSource dataSource() {
        return pool;
    }

    public DatabaseSettings settings() {
        return settings;
    }

    /** Whether the database is PostgreSQL (else H2). */
    public boolean postgres() {
        return settings.postgres();
    }

    /** A pooled connection (auto-commit on). Throws SQLException when none can be had in time. */
    public Connection connection() throws SQLException {
        return pool.getConnection();
    }

    /** "connected" or "disconnected": how the last database call went. */
    public String status() {
        return status.get();
    }

    /** Records a successful database call. */
    public void succeeded() {
        if (!"connected".equals(status.getAndSet("connected"))) {
            LOG.info("database {} reachable again", settings.describe());
        }
    }

    /** Records a failed database call (logged once per outage, redacted). */
    public void failed(Throwable e) {
        if ("connected".equals(status.getAndSet("disconnected"))) {
            LOG.warn("database {} unreachable: {}", settings.describe(), reason(e));
        }
    }

    /** Runs a trivial query; records and returns the outcome. */
    public boolean ping() {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            succeeded();
            return true;
        } catch (SQLException | RuntimeException e) {
            failed(e);
            return false;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
