package dev.embeddings.gateway.keys;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.db.Database;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@link KeyStore} over JDBC: the same SQL on PostgreSQL and on H2 in PostgreSQL mode (tables of
 * {@code db/migration/V1__virtual_keys_and_spend.sql}). Every call records the database's reachability on the
 * {@link Database} (what readiness reports); an SQLException becomes {@link KeyStore.Unavailable} without the SQL
 * text or the driver's message (which can carry the URL).
 */
public final class JdbcKeyStore implements KeyStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COLUMNS = "token, token_id, key_name, key_alias, user_id, team_id, models, "
            + "max_budget, budget_duration, budget_reset_at, spend, rpm_limit, tpm_limit, max_parallel_requests, "
            + "expires, metadata, blocked, created_at, updated_at";
    private static final int CHUNK = 500;

    private final Database db;

    public JdbcKeyStore(Database db) {
        this.db = db;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /** Runs {@code work} on a pooled connection, in one transaction when {@code tx}. */
    private <T> T with(boolean tx, Work<T> work) {
        try (Connection c = db.connection()) {
            if (!tx) {
                T out = work.run(c);
                db.succeeded();
                return out;
            }
            c.setAutoCommit(false);
            try {
                T out = work.run(c);
                c.commit();
                db.succeeded();
                return out;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is gone; the pool discards it
                }
                throw e;
            } finally {
                try {
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // as above
                }
            }
        } catch (SQLException e) {
            if (isUniqueViolation(e)) {
                db.succeeded();
                throw new Conflict("key_alias is already used by another key");
            }
            db.failed(e);
            throw new Unavailable("the key database is unavailable", e);
        }
    }

    private static boolean isUniqueViolation(SQLException e) {
        // 23505: unique_violation (PostgreSQL and H2 alike)
        return "23505".equals(e.getSQLState());
    }

    @Override
    public void insert(KeyRecord k) {
        with(false, c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO virtual_keys (" + COLUMNS
                    + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                bindAll(ps, k);
                ps.executeUpdate();
            }
            return null;
        });
    }

    private static void bindAll(PreparedStatement ps, KeyRecord k) throws SQLException {
        ps.setString(1, k.token());
        ps.setString(2, k.tokenId());
        ps.setString(3, k.keyName());
        ps.setString(4, k.keyAlias());
        ps.setString(5, k.userId());
        ps.setString(6, k.teamId());
        ps.setString(7, json(k.models()));
        ps.setBigDecimal(8, k.maxBudget());
        ps.setString(9, k.budgetDuration());
        time(ps, 10, k.budgetResetAt());
        ps.setBigDecimal(11, k.spend());
        longOrNull(ps, 12, k.rpmLimit());
        longOrNull(ps, 13, k.tpmLimit());
        if (k.maxParallelRequests() == null) {
            ps.setNull(14, Types.INTEGER);
        } else {
            ps.setInt(14, k.maxParallelRequests());
        }
        time(ps, 15, k.expires());
        ps.setString(16, k.metadata());
        ps.setBoolean(17, k.blocked());
        time(ps, 18, k.createdAt());
        time(ps, 19, k.updatedAt());
    }

    @Override
    public Optional<KeyRecord> byToken(String token) {
        return one("token", token);
    }

    @Override
    public Optional<KeyRecord> byTokenId(String tokenId) {
        return one("token_id", tokenId);
    }

    @Override
    public Optional<KeyRecord> byAlias(String alias) {
        return one("key_alias", alias);
    }

    private Optional<KeyRecord> one(String column, String value) {
        return with(false, c -> one(c, column, value));
    }

    private static Optional<KeyRecord> one(Connection c, String column, String value) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM virtual_keys WHERE "
                + column + " = ?")) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    @Override
    public Optional<KeyRecord> update(KeyRecord k) {
        return with(true, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE virtual_keys SET key_alias = ?, user_id = ?, "
                    + "team_id = ?, models = ?, max_budget = ?, budget_duration = ?, budget_reset_at = ?, "
                    + "rpm_limit = ?, tpm_limit = ?, max_parallel_requests = ?, expires = ?, metadata = ?, "
                    + "blocked = ?, updated_at = ? WHERE token_id = ?")) {
                ps.setString(1, k.keyAlias());
                ps.setString(2, k.userId());
                ps.setString(3, k.teamId());
                ps.setString(4, json(k.models()));
                ps.setBigDecimal(5, k.maxBudget());
                ps.setString(6, k.budgetDuration());
                time(ps, 7, k.budgetResetAt());
                longOrNull(ps, 8, k.rpmLimit());
                longOrNull(ps, 9, k.tpmLimit());
                if (k.maxParallelRequests() == null) {
                    ps.setNull(10, Types.INTEGER);
                } else {
                    ps.setInt(10, k.maxParallelRequests());
                }
                time(ps, 11, k.expires());
                ps.setString(12, k.metadata());
                ps.setBoolean(13, k.blocked());
                time(ps, 14, k.updatedAt());
                ps.setString(15, k.tokenId());
                if (ps.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return one(c, "token_id", k.tokenId());
        });
    }

    @Override
    public Optional<KeyRecord> replaceToken(String tokenId, String newToken, String newKeyName, Instant now) {
        return with(true, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE virtual_keys SET token = ?, key_name = ?, "
                    + "updated_at = ? WHERE token_id = ?")) {
                ps.setString(1, newToken);
                ps.setString(2, newKeyName);
                time(ps, 3, now);
                ps.setString(4, tokenId);
                if (ps.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return one(c, "token_id", tokenId);
        });
    }

    @Override
    public boolean delete(Collection<String> tokenIds) {
        return with(true, c -> {
            int n = 0;
            try (PreparedStatement ps = c.prepareStatement("DELETE FROM virtual_keys WHERE token_id = ?")) {
                for (String id : new HashSet<>(tokenIds)) {
                    ps.setString(1, id);
                    n += ps.executeUpdate();
                }
            }
            if (n != new HashSet<>(tokenIds).size()) {
                c.rollback();
                return false;
            }
            return true;
        });
    }

    @Override
    public Page list(String userId, String teamId, String keyAlias, int page, int size) {
        return with(false, c -> {
            StringBuilder where = new StringBuilder(" WHERE 1 = 1");
            List<String> args = new ArrayList<>();
            if (userId != null) {
                where.append(" AND user_id = ?");
                args.add(userId);
            }
            if (teamId != null) {
                where.append(" AND team_id = ?");
                args.add(teamId);
            }
            if (keyAlias != null) {
                where.append(" AND key_alias = ?");
                args.add(keyAlias);
            }
            long total;
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM virtual_keys" + where)) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setString(i + 1, args.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    total = rs.getLong(1);
                }
            }
            List<KeyRecord> keys = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM virtual_keys" + where
                    + " ORDER BY created_at DESC, token_id LIMIT ? OFFSET ?")) {
                int i = 0;
                for (; i < args.size(); i++) {
                    ps.setString(i + 1, args.get(i));
                }
                ps.setInt(i + 1, size);
                ps.setLong(i + 2, (long) (page - 1) * size);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        keys.add(read(rs));
                    }
                }
            }
            return new Page(keys, total);
        });
    }

    @Override
    public Map<String, SpendState> applySpend(List<SpendRecord> batch, Instant now) {
        return with(true, c -> {
            Set<String> stored = new HashSet<>();
            for (int from = 0; from < batch.size(); from += CHUNK) {
                List<SpendRecord> part = batch.subList(from, Math.min(batch.size(), from + CHUNK));
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM spend_logs WHERE id IN ("
                        + marks(part.size()) + ")")) {
                    for (int i = 0; i < part.size(); i++) {
                        ps.setString(i + 1, part.get(i).id());
                    }
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            stored.add(rs.getString(1));
                        }
                    }
                }
            }
            Map<String, BigDecimal> added = new LinkedHashMap<>();
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO spend_logs (id, request_id, call_type, "
                    + "token_id, user_id, team_id, end_user, model, model_group, model_id, provider, prompt_tokens, "
                    + "total_tokens, spend, start_time, end_time, start_day) VALUES "
                    + "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                int pending = 0;
                for (SpendRecord r : batch) {
                    if (!stored.add(r.id())) {
                        continue;
                    }
                    ps.setString(1, r.id());
                    ps.setString(2, r.requestId());
                    ps.setString(3, SpendRecord.CALL_TYPE);
                    ps.setString(4, r.tokenId());
                    ps.setString(5, r.userId());
                    ps.setString(6, r.teamId());
                    ps.setString(7, r.endUser());
                    ps.setString(8, r.model());
                    ps.setString(9, r.modelGroup());
                    ps.setString(10, r.modelId());
                    ps.setString(11, r.provider());
                    ps.setLong(12, r.promptTokens());
                    ps.setLong(13, r.promptTokens());
                    ps.setBigDecimal(14, r.spend());
                    time(ps, 15, r.startTime());
                    time(ps, 16, r.endTime());
                    ps.setObject(17, r.startTime().atOffset(ZoneOffset.UTC).toLocalDate());
                    ps.addBatch();
                    pending++;
                    if (r.tokenId() != null) {
                        added.merge(r.tokenId(), r.spend(), BigDecimal::add);
                    }
                }
                if (pending > 0) {
                    ps.executeBatch();
                }
            }
            resetDue(c, added.keySet(), now);
            try (PreparedStatement ps = c.prepareStatement("UPDATE virtual_keys SET spend = spend + ? WHERE token_id = ?")) {
                for (Map.Entry<String, BigDecimal> e : added.entrySet()) {
                    ps.setBigDecimal(1, e.getValue());
                    ps.setString(2, e.getKey());
                    ps.addBatch();
                }
                if (!added.isEmpty()) {
                    ps.executeBatch();
                }
            }
            Set<String> tokens = new HashSet<>();
            for (SpendRecord r : batch) {
                if (r.tokenId() != null) {
                    tokens.add(r.tokenId());
                }
            }
            return spendOf(c, tokens);
        });
    }

    /** Resets the budget period of those of {@code tokens} (token_ids; all keys when null) whose period is over. */
    private static Map<String, SpendState> resetDue(Connection c, Collection<String> tokens, Instant now)
            throws SQLException {
        Map<String, SpendState> reset = new HashMap<>();
        List<Object[]> due = new ArrayList<>();
        String sql = "SELECT token_id, budget_duration, budget_reset_at FROM virtual_keys WHERE budget_reset_at <= ?"
                + " AND budget_duration IS NOT NULL";
        if (tokens != null && tokens.isEmpty()) {
            return reset;
        }
        List<String> list = tokens == null ? List.of() : new ArrayList<>(tokens);
        for (int from = 0; from == 0 || from < list.size(); from += CHUNK) {
            List<String> part = list.subList(from, Math.min(list.size(), from + CHUNK));
            try (PreparedStatement ps = c.prepareStatement(tokens == null ? sql
                    : sql + " AND token_id IN (" + marks(part.size()) + ")")) {
                time(ps, 1, now);
                for (int i = 0; i < part.size(); i++) {
                    ps.setString(i + 2, part.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        due.add(new Object[]{rs.getString(1), rs.getString(2), instant(rs, 3)});
                    }
                }
            }
            if (tokens == null) {
                break;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("UPDATE virtual_keys SET spend = 0, budget_reset_at = ? "
                + "WHERE token_id = ? AND budget_reset_at = ?")) {
            for (Object[] d : due) {
                Instant last = (Instant) d[2];
                Instant next;
                try {
                    next = Durations.nextReset(last, (String) d[1], now);
                } catch (IllegalArgumentException e) {
                    continue;
                }
                time(ps, 1, next);
                ps.setString(2, (String) d[0]);
                time(ps, 3, last);
                // 0 rows: another replica reset it first, with the same result
                if (ps.executeUpdate() > 0) {
                    reset.put((String) d[0], new SpendState(BigDecimal.ZERO, next));
                }
            }
        }
        return reset;
    }

    @Override
    public Map<String, SpendState> spendOf(Collection<String> tokens) {
        return with(false, c -> spendOf(c, tokens));
    }

    private static Map<String, SpendState> spendOf(Connection c, Collection<String> tokens) throws SQLException {
        Map<String, SpendState> out = new HashMap<>();
        List<String> list = new ArrayList<>(tokens);
        for (int from = 0; from < list.size(); from += CHUNK) {
            List<String> part = list.subList(from, Math.min(list.size(), from + CHUNK));
            try (PreparedStatement ps = c.prepareStatement("SELECT token_id, spend, budget_reset_at FROM virtual_keys "
                    + "WHERE token_id IN (" + marks(part.size()) + ")")) {
                for (int i = 0; i < part.size(); i++) {
                    ps.setString(i + 1, part.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), new SpendState(rs.getBigDecimal(2), instant(rs, 3)));
                    }
                }
            }
        }
        return out;
    }

    @Override
    public Map<String, SpendState> resetDueBudgets(Instant now) {
        return with(true, c -> resetDue(c, null, now));
    }

    private static void filters(StringBuilder where, List<Object> args, SpendFilter f) {
        if (f.tokenId() != null) {
            where.append(" AND token_id = ?");
            args.add(f.tokenId());
        }
        if (f.userId() != null) {
            where.append(" AND user_id = ?");
            args.add(f.userId());
        }
        if (f.teamId() != null) {
            where.append(" AND team_id = ?");
            args.add(f.teamId());
        }
        if (f.requestId() != null) {
            where.append(" AND request_id = ?");
            args.add(f.requestId());
        }
        if (f.from() != null) {
            where.append(" AND start_day >= ?");
            args.add(f.from());
        }
        if (f.to() != null) {
            where.append(" AND start_day <= ?");
            args.add(f.to());
        }
    }

    @Override
    public List<SpendLog> spendLogs(SpendFilter f) {
        return with(false, c -> {
            StringBuilder where = new StringBuilder(" WHERE 1 = 1");
            List<Object> args = new ArrayList<>();
            filters(where, args, f);
            List<SpendLog> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id, request_id, token_id, user_id, team_id, "
                    + "end_user, model, model_group, model_id, provider, prompt_tokens, spend, start_time, end_time, "
                    + "start_day FROM spend_logs" + where + " ORDER BY start_time DESC, id LIMIT ?")) {
                int i = 0;
                for (; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                ps.setInt(i + 1, f.limit());
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new SpendLog(new SpendRecord(rs.getString(1), rs.getString(2), rs.getString(3),
                                rs.getString(4), rs.getString(5), rs.getString(6), rs.getString(7), rs.getString(8),
                                rs.getString(9), rs.getString(10), rs.getLong(11), rs.getBigDecimal(12),
                                instant(rs, 13), instant(rs, 14)), rs.getObject(15, LocalDate.class)));
                    }
                }
            }
            return out;
        });
    }

    /** Columns a report may group by. */
    private static final Set<String> DIMENSIONS = Set.of("token_id", "user_id", "team_id", "end_user", "model");

    @Override
    public List<SpendGroup> spendGroups(SpendFilter f, boolean byDay, List<String> dimensions) {
        for (String d : dimensions) {
            if (!DIMENSIONS.contains(d)) {
                throw new IllegalArgumentException("not a spend dimension: " + d);
            }
        }
        return with(false, c -> {
            StringBuilder where = new StringBuilder(" WHERE 1 = 1");
            List<Object> args = new ArrayList<>();
            filters(where, args, f);
            List<String> group = new ArrayList<>();
            if (byDay) {
                group.add("start_day");
            }
            group.addAll(dimensions);
            String cols = group.isEmpty() ? "" : String.join(", ", group) + ", ";
            String sql = "SELECT " + cols + "SUM(spend), SUM(prompt_tokens), SUM(total_tokens) FROM spend_logs" + where
                    + (group.isEmpty() ? "" : " GROUP BY " + String.join(", ", group) + " ORDER BY "
                    + String.join(", ", group));
            List<SpendGroup> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (int i = 0; i < args.size(); i++) {
                    ps.setObject(i + 1, args.get(i));
                }
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Map<String, String> v = new HashMap<>();
                        int col = 1;
                        LocalDate day = null;
                        if (byDay) {
                            day = rs.getObject(col++, LocalDate.class);
                        }
                        for (String d : dimensions) {
                            v.put(d, rs.getString(col++));
                        }
                        BigDecimal spend = rs.getBigDecimal(col++);
                        out.add(new SpendGroup(day, v.get("token_id"), v.get("user_id"), v.get("team_id"),
                                v.get("end_user"), v.get("model"), spend == null ? BigDecimal.ZERO : spend,
                                rs.getLong(col++), rs.getLong(col)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public void ping() {
        with(false, c -> {
            try (var s = c.createStatement()) {
                s.execute("SELECT 1");
            }
            return null;
        });
    }

    private static KeyRecord read(ResultSet rs) throws SQLException {
        return new KeyRecord(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), models(rs.getString(7)), rs.getBigDecimal(8), rs.getString(9), instant(rs, 10),
                rs.getBigDecimal(11), longOrNull(rs, 12), longOrNull(rs, 13), intOrNull(rs, 14), instant(rs, 15),
                rs.getString(16), rs.getBoolean(17), instant(rs, 18), instant(rs, 19));
    }

    private static List<String> models(String json) {
        try {
            return JSON.readValue(json, new TypeReference<List<String>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("virtual_keys.models is not a JSON array of strings");
        }
    }

    private static String json(List<String> models) {
        try {
            return JSON.writeValueAsString(models);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String marks(int n) {
        return String.join(",", java.util.Collections.nCopies(n, "?"));
    }

    private static void time(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setObject(i, t.atOffset(ZoneOffset.UTC));
        }
    }

    private static Instant instant(ResultSet rs, int i) throws SQLException {
        OffsetDateTime t = rs.getObject(i, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    private static void longOrNull(PreparedStatement ps, int i, Long v) throws SQLException {
        if (v == null) {
            ps.setNull(i, Types.BIGINT);
        } else {
            ps.setLong(i, v);
        }
    }

    private static Long longOrNull(ResultSet rs, int i) throws SQLException {
        long v = rs.getLong(i);
        return rs.wasNull() ? null : v;
    }

    private static Integer intOrNull(ResultSet rs, int i) throws SQLException {
        int v = rs.getInt(i);
        return rs.wasNull() ? null : v;
    }
}
