package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.RequestId;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.security.Principal;
import org.apache.camel.Exchange;

/**
 * The two steps of {@code routes/embeddings-api.yaml} that apply a virtual key's limits and record spend (bean
 * {@code keyLimits}). Both do nothing when virtual keys are off (no master key).
 */
public final class KeyLimits {

    private final Keys keys;
    private final dev.embeddings.gateway.observe.Metrics metrics;

    public KeyLimits(Keys keys, dev.embeddings.gateway.observe.Metrics metrics) {
        this.keys = keys;
        this.metrics = metrics;
    }

    /**
     * {@code check-key-limits}, after {@code parse-request} (body: EmbeddingRequest; property {@code principal}),
     * before any upstream call: model access, budget, {@code max_parallel_requests}, {@code rpm_limit},
     * {@code tpm_limit}; throws the GatewayException the client gets (401, 400 budget_exceeded, 429 with
     * Retry-After). What it reserves is released when the exchange completes, however it ends. A replayed request
     * (route reload) is not counted twice.
     */
    public void admit(Exchange exchange) {
        if (!keys.active() || exchange.getProperty(Admission.PROPERTY) != null) {
            return;
        }
        exchange.getExchangeExtension().addOnCompletion(claim(exchange, true));
    }

    /**
     * {@link #admit} for one try of a batch part ({@code routes/batches.yaml}, before {@code direct:embed}; body:
     * EmbeddingRequest, property {@code principal}: the batch owner's key as it is now): the key's models and budget
     * (401, 400 {@code budget_exceeded}); its rpm, tpm and parallel limits are for its own requests, not its batch
     * lines. The claim lasts until {@link #endTry}, not until the exchange completes: one exchange runs every part
     * and try of a chunk.
     */
    public void admitTry(Exchange exchange) {
        endTry(exchange);
        if (keys.active()) {
            claim(exchange, false);
        }
    }

    /**
     * After a batch try however it ended (the {@code doFinally} of the try): frees its claim. A try that was served
     * has recorded its spend first ({@link #recordSpend}); one that failed is charged nothing.
     */
    public void endTry(Exchange exchange) {
        if (exchange.removeProperty(Admission.PROPERTY) instanceof Admission a) {
            a.finish();
        }
    }

    /** Applies the key's rules to the exchange's request and keeps the claim in {@value Admission#PROPERTY}. */
    private Admission claim(Exchange exchange, boolean interactive) {
        EmbeddingRequest request = exchange.getMessage().getBody(EmbeddingRequest.class);
        Admission a;
        try {
            a = keys.admit(exchange.getProperty(Principal.PROPERTY, Principal.class), request,
                    exchange.getProperty(RequestId.PROPERTY, String.class), interactive);
        } catch (dev.embeddings.gateway.openai.GatewayException e) {
            String limit = limitOf(e);
            if (limit != null) {
                metrics.rateLimited("key", limit, keys.registry().group(request.model()).isEmpty() ? ""
                        : request.model(), "");
            }
            throw e;
        }
        exchange.setProperty(Admission.PROPERTY, a);
        return a;
    }

    /** The limit a refusal names, for the metrics: rpm, tpm, max_parallel_requests, budget; null for a 401. */
    static String limitOf(dev.embeddings.gateway.openai.GatewayException e) {
        if (KeyPolicy.BUDGET_EXCEEDED.equals(e.code())) {
            return "budget";
        }
        if (e.status() != 429) {
            return null;
        }
        String m = String.valueOf(e.getMessage());
        return m.contains("Limit type: max_parallel_requests") ? "max_parallel_requests"
                : m.contains("Limit type: tokens") ? "tpm" : "rpm";
    }

    /**
     * {@code record-spend}, once {@code direct:embed} has answered (body: EmbeddingResult; property
     * {@code embeddingCall}: the deployment that served): queues the request's spend (its usage times the
     * deployment's price) for the spend writer and settles the key's budget and token counters with it.
     */
    public void recordSpend(Exchange exchange) {
        Admission a = exchange.getProperty(Admission.PROPERTY, Admission.class);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        if (a == null || call == null || result == null) {
            return;
        }
        a.served(call.deployment(), result.promptTokens());
    }
}
