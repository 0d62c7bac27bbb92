package dev.embeddings.gateway.keys;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;

/**
 * A virtual key as stored (table {@code virtual_keys}), with LiteLLM's field names. The key's text is never here:
 * only its SHA-256 hex ({@code token}), which never leaves the gateway (the API names a key by {@code tokenId}).
 *
 * @param token               SHA-256 hex of the key text
 * @param tokenId             random public identifier (24 hex characters), unrelated to the key text
 * @param keyName             {@code sk-...abcd}: the key's last four characters, for people to recognise it
 * @param keyAlias            unique name given by the admin, or null
 * @param userId              LiteLLM {@code user_id}, or null
 * @param teamId              LiteLLM {@code team_id}, or null
 * @param models              model groups ({@code model_name}s) the key may call; empty = all
 * @param maxBudget           USD the key may spend per budget period (or ever), or null for no budget
 * @param budgetDuration      the budget period ({@code 30d}, {@code 1h}, ...), or null (the budget never resets)
 * @param budgetResetAt       when the current budget period ends, or null
 * @param spend               USD spent in the current budget period (as of reading)
 * @param rpmLimit            requests per minute, or null
 * @param tpmLimit            tokens per minute (input tokens, counted before the call), or null
 * @param maxParallelRequests requests in flight at once (per gateway instance), or null
 * @param expires             when the key stops working, or null
 * @param metadata            the admin's JSON object, as text
 * @param blocked             a blocked key is refused (401) until unblocked
 * @param createdAt           creation time
 * @param updatedAt           last change
 */
public record KeyRecord(String token, String tokenId, String keyName, String keyAlias, String userId, String teamId,
                        List<String> models, BigDecimal maxBudget, String budgetDuration, Instant budgetResetAt,
                        BigDecimal spend, Long rpmLimit, Long tpmLimit, Integer maxParallelRequests, Instant expires,
                        String metadata, boolean blocked, Instant createdAt, Instant updatedAt)
        implements dev.embeddings.gateway.security.Principal.ModelAccess {

    public KeyRecord {
        models = List.copyOf(models);
    }

    /** Whether {@code models} lets the key call {@code model} ({@link KeyPolicy#modelAccess}). */
    @Override
    public boolean allowsModel(String model) {
        return KeyPolicy.modelAccess(this, model) == null;
    }

    /** Whether the key has any limit that needs the request's tokens counted before the call. */
    public boolean countsTokens() {
        return tpmLimit != null || maxBudget != null;
    }

    /** The same key with another token (regenerated key text). */
    public KeyRecord withToken(String newToken, String newKeyName, Instant now) {
        return new KeyRecord(newToken, tokenId, newKeyName, keyAlias, userId, teamId, models, maxBudget,
                budgetDuration, budgetResetAt, spend, rpmLimit, tpmLimit, maxParallelRequests, expires, metadata,
                blocked, createdAt, now);
    }

    /** The same key, blocked or not. */
    public KeyRecord withBlocked(boolean b, Instant now) {
        return new KeyRecord(token, tokenId, keyName, keyAlias, userId, teamId, models, maxBudget, budgetDuration,
                budgetResetAt, spend, rpmLimit, tpmLimit, maxParallelRequests, expires, metadata, b, createdAt, now);
    }

    @Override
    public String toString() {
        // the hash stays out of log lines too
        return "KeyRecord[" + tokenId + " " + keyName + "]";
    }
}
