package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import org.apache.camel.Exchange;

/**
 * For provider routes that do not go through {@link ProviderAdapter#plan} (the in-process model): refuses image
 * inputs before the model sees them, as every text-only provider does.
 */
public final class TextOnly {

    /** Camel entry: GatewayException 400 (param {@code input}) naming the model when an input is an image. */
    public void check(Exchange exchange) {
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        EmbeddingRequest r = call == null ? null : call.request();
        if (r != null && r.texts() != null) {
            for (int i = 0; i < r.texts().size(); i++) {
                if (ImageInputs.isImage(r.texts().get(i))) {
                    throw GatewayException.invalid("input", "Model '" + call.deployment().modelName()
                            + "' does not accept image inputs (input[" + i + "] is an image).");
                }
            }
        }
    }
}
