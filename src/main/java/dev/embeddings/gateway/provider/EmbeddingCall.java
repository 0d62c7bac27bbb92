package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import org.apache.camel.Exchange;

/**
 * What every provider route reads (exchange property {@value #PROPERTY}): the validated request and the
 * deployment the router chose for it.
 */
public record EmbeddingCall(EmbeddingRequest request, Deployment deployment) {

    /** The exchange property that carries the call from the API route to the provider route. */
    public static final String PROPERTY = "embeddingCall";

    /**
     * Readies {@code exchange} for the deployment's provider route: the request as body, this call as
     * {@value #PROPERTY}, the provider's route name ({@code Provider.route()}, e.g. {@code openai} for every
     * OpenAI-compatible prefix) as {@value ModelRegistry#PROVIDER_PROPERTY} (what the content-based router of
     * direct:embed switches on).
     */
    public void attachTo(Exchange exchange) {
        exchange.getMessage().setBody(request);
        exchange.setProperty(PROPERTY, this);
        exchange.setProperty(ModelRegistry.PROVIDER_PROPERTY, deployment.provider().route());
    }
}
