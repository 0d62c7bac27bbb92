package dev.embeddings.gateway.db;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.security.Redactor;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Where the gateway's database is, as LiteLLM names it: {@code general_settings.database_url}, else the
 * {@code DATABASE_URL} environment variable, else an embedded H2 file database under the data directory
 * ({@code --data-dir}, default {@code ./data}), which needs no setup.
 *
 * <p>Accepted URLs: {@code postgresql://user:password@host:5432/db?sslmode=require} (and {@code postgres://}, the
 * libpq form LiteLLM's users have), {@code jdbc:postgresql://...} and {@code jdbc:h2:...}. The password (of the URL
 * or a {@code password=} parameter) is registered with the {@link Redactor}; {@link #describe()} never shows it.
 *
 * @param jdbcUrl  the JDBC URL, without credentials
 * @param user     the user name, or null
 * @param password the password, or null
 * @param embedded true for the default H2 file database
 */
public record DatabaseSettings(String jdbcUrl, String user, String password, boolean embedded) {

    /** The file name (without H2's {@code .mv.db}) of the embedded database inside the data directory. */
    public static final String EMBEDDED_NAME = "gateway";

    /**
     * The settings for {@code databaseUrl} (from config.yaml, may be null), else {@code env("DATABASE_URL")}, else
     * the embedded database in {@code dataDir}. Throws ConfigException for a URL it cannot use.
     */
    public static DatabaseSettings resolve(String databaseUrl, Function<String, String> env, Path dataDir) {
        String url = databaseUrl != null && !databaseUrl.isBlank() ? databaseUrl.strip() : null;
        if (url == null) {
            String fromEnv = env.apply("DATABASE_URL");
            url = fromEnv != null && !fromEnv.isBlank() ? fromEnv.strip() : null;
        }
        if (url == null) {
            return embedded(dataDir);
        }
        Redactor.addUrlSecrets(url);
        return parse(url);
    }

    /** The embedded H2 file database {@code <dataDir>/gateway.mv.db}. */
    public static DatabaseSettings embedded(Path dataDir) {
        Path file = dataDir.toAbsolutePath().normalize().resolve(EMBEDDED_NAME);
        // PostgreSQL mode keeps one set of migrations for both databases; DB_CLOSE_ON_EXIT=FALSE lets the spend
        // writer flush during shutdown (H2's own shutdown hook would close the database under it); WRITE_DELAY=0
        // writes every commit to the file before it returns (H2's default 500 ms delay lost the last commits to a
        // kill -9: a generated key, a batch just created); LOCK_TIMEOUT: batch appends wait for a batch's row lock
        return new DatabaseSettings("jdbc:h2:file:" + file + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE"
                + ";DEFAULT_NULL_ORDERING=HIGH;DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0;LOCK_TIMEOUT=10000", null, null, true);
    }

    /** Parses a database URL (see the class comment). */
    static DatabaseSettings parse(String url) {
        String lower = url.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("jdbc:h2:") || lower.startsWith("jdbc:postgresql:")) {
            return new DatabaseSettings(url, null, null, false);
        }
        if (!lower.startsWith("postgresql://") && !lower.startsWith("postgres://")) {
            throw new ConfigException("database_url must be postgresql://user:password@host:port/database "
                    + "(or a jdbc:postgresql: / jdbc:h2: URL)");
        }
        URI u;
        try {
            u = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("database_url is not a valid URL");
        }
        if (u.getHost() == null) {
            throw new ConfigException("database_url has no host");
        }
        String user = null;
        String password = null;
        if (u.getRawUserInfo() != null) {
            String info = u.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon >= 0 ? info.substring(0, colon) : info);
            password = colon >= 0 ? decode(info.substring(colon + 1)) : null;
            Redactor.addSecret(password);
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() ? "/" : u.getRawPath();
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(u.getHost());
        if (u.getPort() > 0) {
            jdbc.append(':').append(u.getPort());
        }
        jdbc.append(path);
        if (u.getRawQuery() != null) {
            jdbc.append('?').append(u.getRawQuery());
        }
        return new DatabaseSettings(jdbc.toString(), user, password, false);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** Whether this is a PostgreSQL database (else H2). */
    public boolean postgres() {
        return jdbcUrl.regionMatches(true, 0, "jdbc:postgresql:", 0, 16);
    }

    /** The URL for messages and logs: no user-info, secret query values masked. */
    public String describe() {
        String shown = jdbcUrl;
        int semi = shown.indexOf(';');
        if (embedded && semi > 0) {
            shown = shown.substring(0, semi);
        }
        return Redactor.redact(shown);
    }

    @Override
    public String toString() {
        return "DatabaseSettings[" + describe() + "]";
    }
}
