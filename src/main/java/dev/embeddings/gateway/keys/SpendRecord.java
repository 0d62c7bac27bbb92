package dev.embeddings.gateway.keys;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * One served request's spend, as written to {@code spend_logs} (and added to its key's {@code spend}).
 *
 * @param id           unique id made by the gateway (UUID): what makes a batch written twice count once
 * @param requestId    the request's {@code x-request-id} (the client's own, or one the gateway made)
 * @param tokenId      the key's public id (whose {@code spend} the cost is added to), or null for the master key / no
 *                     key
 * @param userId       the key's {@code user_id}, or null
 * @param teamId       the key's {@code team_id}, or null
 * @param endUser      the request's OpenAI {@code user} field, or null
 * @param model        the upstream model that served (e.g. {@code text-embedding-3-small})
 * @param modelGroup   the {@code model} the client asked for
 * @param modelId      the deployment's id ({@code model_info.id} or {@code <model_name>#<n>})
 * @param provider     the provider prefix ({@code azure}, {@code bedrock}, ...)
 * @param promptTokens {@code usage.prompt_tokens} of the response
 * @param spend        USD: prompt tokens times the deployment's price
 * @param startTime    when the request was admitted
 * @param endTime      when its response was ready
 */
public record SpendRecord(String id, String requestId, String tokenId, String userId, String teamId,
                          String endUser, String model, String modelGroup, String modelId, String provider,
                          long promptTokens, BigDecimal spend, Instant startTime, Instant endTime) {

    /** LiteLLM's {@code call_type} for embeddings. */
    public static final String CALL_TYPE = "aembedding";
}
