package dev.embeddings.gateway.db;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.GatewayConfig;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The gateway's one {@link Database}, opened once by whoever needs it first and closed when the gateway stops:
 * virtual keys open it at start (when a master key is set), batches at start when it already exists, else on the
 * first call of the Files or Batch API. So a gateway that never used keys or batches creates no database file and
 * pays nothing for one at start, while one with batches to resume opens it at once.
 *
 * <p>Settings: {@code general_settings.database_url}, else {@code DATABASE_URL}, else the embedded H2 file under
 * {@code gateway.dataDir} ({@link DatabaseSettings}); the pool size is {@code general_settings.database_connection_pool_limit}
 * (LiteLLM's name, default 10); {@code gateway.keys.dbConnectTimeoutMs} (3000) bounds the wait for a connection.
 * When opened, the {@link Database} is bound as {@value Database#BEAN} in the registry given.
 */
public final class SharedDatabase implements AutoCloseable {

    private final DatabaseSettings settings;
    private final Path dataDir;
    private final int poolSize;
    private final long connectTimeoutMs;
    private final Registry registry;
    private volatile Database database;
    private boolean closed;

    public SharedDatabase(DatabaseSettings settings, Path dataDir, int poolSize, long connectTimeoutMs,
                          Registry registry) {
        this.settings = settings;
        this.dataDir = dataDir;
        this.poolSize = poolSize;
        this.connectTimeoutMs = connectTimeoutMs;
        this.registry = registry;
    }

    /** The settings of {@code config}, {@code env} and the properties (see the class comment); ConfigException. */
    public static SharedDatabase from(GatewayConfig config, Function<String, String> env, PropertiesComponent p,
                                      Registry registry) {
        Path dataDir = Path.of(p.resolveProperty("gateway.dataDir").orElse("data"));
        DatabaseSettings settings = DatabaseSettings.resolve(string(config.generalSettings().get("database_url")), env,
                dataDir);
        return new SharedDatabase(settings, dataDir,
                poolSize(config.generalSettings().get("database_connection_pool_limit")),
                longProp(p, "gateway.keys.dbConnectTimeoutMs", 3000), registry);
    }

    public DatabaseSettings settings() {
        return settings;
    }

    /**
     * Whether the database is there to be opened without creating it: always for a configured URL (PostgreSQL or
     * H2 elsewhere), for the embedded one when its file is in the data directory.
     */
    public boolean exists() {
        return !settings.embedded()
                || Files.exists(dataDir.resolve(DatabaseSettings.EMBEDDED_NAME + ".mv.db"));
    }

    /**
     * The database, connected and migrated on the first call (the embedded one created with the data directory).
     * ConfigException (one line, no secret) when it cannot be opened; IllegalStateException once closed.
     */
    public Database open() {
        Database d = database;
        if (d != null) {
            return d;
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("the gateway is stopping");
            }
            if (database == null) {
                if (settings.embedded()) {
                    try {
                        Files.createDirectories(dataDir);
                    } catch (IOException e) {
                        throw new ConfigException("cannot create the data directory " + dataDir + " (--data-dir): "
                                + e.getMessage());
                    }
                }
                database = Database.open(settings, poolSize, connectTimeoutMs);
                if (registry != null) {
                    registry.bind(Database.BEAN, database);
                }
            }
            return database;
        }
    }

    /** The database if it has been opened, else null (nothing is opened or created). */
    public Database ifOpen() {
        return database;
    }

    /** Closes the pool (once everything that writes to it has stopped); later calls of {@link #open} fail. */
    @Override
    public synchronized void close() {
        closed = true;
        if (database != null) {
            database.close();
        }
    }

    private static String string(Object o) {
        return o == null || o.toString().isBlank() ? null : o.toString();
    }

    private static int poolSize(Object o) {
        if (o == null) {
            return 10;
        }
        try {
            int n = Integer.parseInt(o.toString().trim());
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException("general_settings.database_connection_pool_limit must be a positive number");
        }
    }

    private static long longProp(PropertiesComponent p, String name, long dflt) {
        String v = p.resolveProperty(name).orElse(null);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be a number");
        }
    }
}
