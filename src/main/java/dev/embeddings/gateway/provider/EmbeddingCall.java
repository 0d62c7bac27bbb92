package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.EmbeddingRequest;

/**
 * What every provider route reads (exchange property {@value #PROPERTY}): the validated request and the
 * deployment the router chose for it.
 */
public record EmbeddingCall(EmbeddingRequest request, Deployment deployment) {

    /** The exchange property that carries the call from the API route to the provider route. */
    public static final String PROPERTY = "embeddingCall";
}
