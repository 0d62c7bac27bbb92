package dev.embeddings.gateway.provider;

/**
 * What every provider route returns as the exchange body.
 *
 * @param vectors      float[n][d], one vector per input, in input order
 * @param promptTokens input token count: the upstream's own count where it reports one, else counted
 */
public record EmbeddingResult(float[][] vectors, int promptTokens) {
}
