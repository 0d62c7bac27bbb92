package dev.embeddings.gateway.provider;

/**
 * What one upstream call gave: vectors in batch order and its input token count.
 *
 * @param offset  the batch's first input index in the request
 * @param vectors one float[] per batch input, in batch order; null entries where {@code base64} holds the vector
 * @param tokens  the upstream's own token count, or cl100k_base's when it reports none
 * @param base64  null, or per batch input the upstream's base64 text (see {@link EmbeddingResult})
 */
public record BatchResult(int offset, float[][] vectors, int tokens, Base64Vector[] base64) {

    /** A batch answered with float vectors. */
    public BatchResult(int offset, float[][] vectors, int tokens) {
        this(offset, vectors, tokens, null);
    }
}
