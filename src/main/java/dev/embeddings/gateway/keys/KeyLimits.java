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

    public KeyLimits(Keys keys) {
        this.keys = keys;
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
        Admission a = keys.admit(exchange.getProperty(Principal.PROPERTY, Principal.class),
                exchange.getMessage().getBody(EmbeddingRequest.class),
                exchange.getProperty(RequestId.PROPERTY, String.class));
        exchange.setProperty(Admission.PROPERTY, a);
        exchange.getExchangeExtension().addOnCompletion(a);
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
