package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.openai.GatewayException;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * The rules of a virtual key, as pure functions of the key, the request and the counters: no storage, no clock, no
 * locks (the callers hold the counters and make check-and-count atomic). Each rule returns the error the client gets,
 * or null when the request may go on. Messages follow LiteLLM's and never carry a key, a hash, another key's data or
 * the key's list of models.
 *
 * <p>Every limit is strict: a request that would take a counter past its limit is refused, so a burst that crosses a
 * limit has exactly the requests beyond it refused, and a budget is never overspent by the requests admitted (as far
 * as the tokens counted before the call match the usage the provider reports; the difference is reconciled after the
 * call).
 */
public final class KeyPolicy {

    /** LiteLLM's {@code type} (and our {@code code}) for a model outside the key's {@code models}. */
    public static final String MODEL_ACCESS_DENIED = "key_model_access_denied";
    /** LiteLLM's {@code type} (and our {@code code}) for a spent budget. */
    public static final String BUDGET_EXCEEDED = "budget_exceeded";
    /** Entries of {@code models} that mean "every model" (LiteLLM's). */
    public static final java.util.Set<String> ALL_MODELS = java.util.Set.of("*", "all-proxy-models");

    private KeyPolicy() {
    }

    /** 401 when the key is blocked or expired at {@code now}. */
    public static GatewayException usable(KeyRecord key, Instant now) {
        if (key.blocked()) {
            return GatewayException.unauthorized(
                    "Authentication Error - This key is blocked. An admin can unblock it with /key/unblock.");
        }
        if (key.expires() != null && !now.isBefore(key.expires())) {
            return GatewayException.unauthorized("Authentication Error - Expired Key. Key Expiry time "
                    + key.expires() + " and current time " + now + ".");
        }
        return null;
    }

    /** 401 {@value #MODEL_ACCESS_DENIED} naming {@code model} when the key may not call it. */
    public static GatewayException modelAccess(KeyRecord key, String model) {
        if (key.models().isEmpty() || key.models().contains(model)
                || key.models().stream().anyMatch(ALL_MODELS::contains)) {
            return null;
        }
        String shown = model == null ? "null" : model.length() > 200 ? model.substring(0, 200) + "…" : model;
        return new GatewayException(401, MODEL_ACCESS_DENIED, "model", MODEL_ACCESS_DENIED,
                "key not allowed to access model. Tried to access " + shown + ".");
    }

    /**
     * 400 {@value #BUDGET_EXCEEDED} when {@code spent} (spend of this budget period, including requests in flight)
     * has reached {@code maxBudget}, or this request's {@code estimate} would take it past; null without a budget.
     *
     * @param resetAt when the budget period ends (named in the message), or null
     */
    public static GatewayException budget(BigDecimal maxBudget, BigDecimal spent, BigDecimal estimate,
                                          Instant resetAt) {
        if (maxBudget == null) {
            return null;
        }
        String resets = resetAt == null ? "" : " Budget resets at: " + resetAt + ".";
        if (spent.compareTo(maxBudget) >= 0) {
            return new GatewayException(400, BUDGET_EXCEEDED, null, BUDGET_EXCEEDED, "Budget has been exceeded! "
                    + "Current cost: " + plain(spent) + ", Max budget: " + plain(maxBudget) + "." + resets);
        }
        if (spent.add(estimate).compareTo(maxBudget) > 0) {
            return new GatewayException(400, BUDGET_EXCEEDED, null, BUDGET_EXCEEDED, "Budget would be exceeded "
                    + "by this request! Current cost: " + plain(spent) + ", this request: " + plain(estimate)
                    + ", Max budget: " + plain(maxBudget) + "." + resets);
        }
        return null;
    }

    /** 429 when {@code inFlight} requests of the key already run and {@code max} is set and reached. */
    public static GatewayException parallel(Integer max, int inFlight) {
        if (max == null || inFlight < max) {
            return null;
        }
        return new GatewayException(429, "rate_limit_error", null, "rate_limit_exceeded",
                "Rate limit exceeded for this key. Limit type: max_parallel_requests. Current limit: " + max
                        + ", Remaining: 0.", 1);
    }

    /**
     * The per-minute rule, as a pure function of the window's counts: one more request must fit under
     * {@code rpmLimit}, and {@code tokens} more under {@code tpmLimit}.
     *
     * @return {@link RateDecision#ALLOWED}, or the refused limit
     */
    public static RateDecision rate(long requests, long usedTokens, Long rpmLimit, Long tpmLimit, long tokens) {
        if (rpmLimit != null && requests + 1 > rpmLimit) {
            return RateDecision.refused("requests", rpmLimit, Math.max(0, rpmLimit - requests));
        }
        if (tpmLimit != null && usedTokens + tokens > tpmLimit) {
            return RateDecision.refused("tokens", tpmLimit, Math.max(0, tpmLimit - usedTokens));
        }
        return RateDecision.ALLOWED;
    }

    /** The 429 for a refused per-minute limit, with {@code Retry-After} until the window ends. */
    public static GatewayException rateLimited(RateDecision d, long tokens, Instant windowEnd, Instant now) {
        long wait = Math.max(1, (windowEnd.toEpochMilli() - now.toEpochMilli() + 999) / 1000);
        String request = "tokens".equals(d.limitType()) ? " This request: " + tokens + " tokens." : "";
        return new GatewayException(429, "rate_limit_error", null, "rate_limit_exceeded",
                "Rate limit exceeded for this key. Limit type: " + d.limitType() + ". Current limit: " + d.limit()
                        + ", Remaining: " + d.remaining() + "." + request + " Limit resets at: " + windowEnd + ".",
                (int) Math.min(Integer.MAX_VALUE, wait));
    }

    private static String plain(BigDecimal d) {
        return d.stripTrailingZeros().toPlainString();
    }

    /**
     * What the per-minute rule said.
     *
     * @param allowed   whether the request was counted
     * @param limitType {@code requests} or {@code tokens} when refused
     * @param limit     the refused limit
     * @param remaining what was left of it in the window
     */
    public record RateDecision(boolean allowed, String limitType, long limit, long remaining) {
        public static final RateDecision ALLOWED = new RateDecision(true, null, 0, 0);

        static RateDecision refused(String type, long limit, long remaining) {
            return new RateDecision(false, type, limit, remaining);
        }
    }
}
