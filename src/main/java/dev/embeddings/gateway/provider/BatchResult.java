package dev.embeddings.gateway.provider;

/**
 * What one upstream call gave: float[batch size][d] vectors in batch order and its input token count.
 *
 * @param offset  the batch's first input index in the request
 * @param vectors one vector per batch input, in batch order
 * @param tokens  the upstream's own token count, or cl100k_base's when it reports none
 */
public record BatchResult(int offset, float[][] vectors, int tokens) {
}
