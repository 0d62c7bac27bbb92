package dev.embeddings.gateway.db;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.security.Redactor;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** database_url / DATABASE_URL / the embedded default, and the password kept out of every output. */
class DatabaseSettingsTest {

    @Test
    void liteLlmStyleUrlBecomesJdbcWithCredentialsApart() {
        DatabaseSettings s = DatabaseSettings.resolve("postgresql://gw:p%40ss-Wd-778899@db.internal:5433/keys?sslmode=require",
                Map.<String, String>of()::get, Path.of("data"));
        assertEquals("jdbc:postgresql://db.internal:5433/keys?sslmode=require", s.jdbcUrl());
        assertEquals("gw", s.user());
        assertEquals("p@ss-Wd-778899", s.password());
        assertTrue(s.postgres());
        assertFalse(s.describe().contains("p@ss"));
        assertFalse(Redactor.redact("connecting with p@ss-Wd-778899").contains("p@ss-Wd-778899"));
    }

    @Test
    void environmentThenEmbeddedDefault() {
        DatabaseSettings env = DatabaseSettings.resolve(null,
                Map.of("DATABASE_URL", "postgres://u:pw-12345678@h/db")::get, Path.of("data"));
        assertEquals("jdbc:postgresql://h/db", env.jdbcUrl());
        DatabaseSettings dflt = DatabaseSettings.resolve(null, Map.<String, String>of()::get, Path.of("/tmp/x"));
        assertTrue(dflt.embedded());
        assertTrue(dflt.jdbcUrl().startsWith("jdbc:h2:file:/tmp/x/gateway;MODE=PostgreSQL"), dflt.jdbcUrl());
        assertEquals("jdbc:h2:file:/tmp/x/gateway", dflt.describe());
    }

    @Test
    void otherUrlsAreAConfigError() {
        assertThrows(ConfigException.class, () -> DatabaseSettings.resolve("mysql://h/db", k -> null, Path.of(".")));
    }
}
