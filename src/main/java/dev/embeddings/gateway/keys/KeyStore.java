package dev.embeddings.gateway.keys;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where keys and spend are kept: the gateway's database (embedded H2 file or PostgreSQL; {@link JdbcKeyStore}).
 * Every method may throw {@link Unavailable} when the database cannot be reached; callers decide what that means
 * (the key cache keeps serving verified keys, the spend writer retries, the key API answers 503).
 */
public interface KeyStore {

    /** The database could not be reached or failed. The message is safe to log (no secret, no SQL). */
    final class Unavailable extends RuntimeException {
        public Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A unique field ({@code key_alias}) already belongs to another key. */
    final class Conflict extends RuntimeException {
        public Conflict(String message) {
            super(message, null, false, false);
        }
    }

    /** Spend of a key's current budget period as stored, and when that period ends (null: never). */
    record SpendState(BigDecimal spend, Instant budgetResetAt) {
    }

    /** One page of {@link #list}. */
    record Page(List<KeyRecord> keys, long totalCount) {
    }

    /**
     * Filters of {@link #spendLogs} and the reports; null fields do not filter. Days are UTC, both inclusive.
     */
    record SpendFilter(String tokenId, String userId, String teamId, String requestId, LocalDate from,
                       LocalDate to, int limit) {
    }

    /** One stored spend log. */
    record SpendLog(SpendRecord record, LocalDate day) {
    }

    /** Spend grouped by day and the given dimensions (null dimension values kept as null). */
    record SpendGroup(LocalDate day, String tokenId, String userId, String teamId, String endUser, String model,
                      BigDecimal spend, long promptTokens, long totalTokens) {
    }

    /** Adds a new key. Throws {@link Conflict} when its alias is taken. */
    void insert(KeyRecord key);

    Optional<KeyRecord> byToken(String token);

    Optional<KeyRecord> byTokenId(String tokenId);

    Optional<KeyRecord> byAlias(String alias);

    /**
     * Replaces the settable fields of the key with {@code key.tokenId()} (alias, user, team, models, budget fields,
     * limits, expiry, metadata, blocked); spend is kept. Returns the stored key, or empty when there is none.
     * Throws {@link Conflict} when the new alias is taken.
     */
    Optional<KeyRecord> update(KeyRecord key);

    /** Gives the key {@code tokenId} new text (regenerate): only its hash and {@code key_name} change. */
    Optional<KeyRecord> replaceToken(String tokenId, String newToken, String newKeyName, Instant now);

    /** Deletes these keys, all or none: returns false (and deletes nothing) when any of them does not exist. */
    boolean delete(Collection<String> tokenIds);

    /** Keys by creation time (newest first), filtered; {@code page} from 1. */
    Page list(String userId, String teamId, String keyAlias, int page, int size);

    /**
     * Writes a batch of spend in one transaction: inserts the records not already stored (by {@link SpendRecord#id},
     * so a batch written again after a failed commit is counted once), resets the budget period of keys whose period
     * is over, adds the new records' costs to their keys' spend, and returns the keys' spend afterwards (by token_id).
     */
    Map<String, SpendState> applySpend(List<SpendRecord> batch, Instant now);

    /** The stored spend of these keys (by token_id). */
    Map<String, SpendState> spendOf(Collection<String> tokenIds);

    /** Resets every budget period that is over at {@code now}; returns the keys reset (by token_id). */
    Map<String, SpendState> resetDueBudgets(Instant now);

    /** Individual spend logs, newest first, at most {@code filter.limit()}. */
    List<SpendLog> spendLogs(SpendFilter filter);

    /**
     * Spend between two days, grouped by day and {@code dimensions} (any of {@code token_id}, {@code user_id},
     * {@code team_id}, {@code end_user}, {@code model}), or across all days when {@code byDay} is false.
     */
    List<SpendGroup> spendGroups(SpendFilter filter, boolean byDay, List<String> dimensions);

    /** A trivial query (health). */
    void ping();
}
