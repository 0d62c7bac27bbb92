package dev.embeddings.gateway.provider;

/**
 * What every provider route returns as the exchange body.
 *
 * <p>Vectors are held in one of two forms, per input: a {@code float[]}, or the upstream's own base64 text
 * ({@link Base64Vector}, from an OpenAI-format upstream asked for {@code encoding_format: base64}). Consumers that
 * need numbers call {@link #vectors()}, which decodes the base64-held vectors once, on first use (Kamelet, Kafka
 * pipeline, cache, matryoshka truncation). The response writer asks {@link #base64(int)} first, so a client that
 * wants base64 gets the upstream's text untouched, without a decode/encode round trip. Both forms give the same
 * bits: base64 is exactly the little-endian float32 bytes of the vector.
 *
 * <p>A step that changes vectors (truncation, re-normalisation) builds a new EmbeddingResult from float arrays;
 * the arrays returned by {@link #vectors()} are shared and must never be modified in place, or the base64 form
 * would disagree with them.
 *
 * @param vectors      float[n][d], one vector per input, in input order; an entry is null while {@code base64}
 *                     holds that vector (use {@link #vectors()}, which fills it)
 * @param promptTokens input token count: the upstream's own count where it reports one, else counted
 * @param base64       null, or per input the upstream's base64 text of the vector (null entries where
 *                     {@code vectors} holds it)
 */
public record EmbeddingResult(float[][] vectors, int promptTokens, Base64Vector[] base64) {

    /** A result held as float arrays only. */
    public EmbeddingResult(float[][] vectors, int promptTokens) {
        this(vectors, promptTokens, null);
    }

    /** float[n][d] in input order, decoding the vectors held as base64 (once; later calls return the same arrays). */
    @Override
    public float[][] vectors() {
        if (base64 != null) {
            synchronized (this) {
                for (int i = 0; i < vectors.length; i++) {
                    if (vectors[i] == null && base64[i] != null) {
                        vectors[i] = base64[i].decode();
                    }
                }
            }
        }
        return vectors;
    }

    /** The number of vectors (inputs). */
    public int size() {
        return vectors.length;
    }

    /** The vectors' length (0 when there are none), without decoding anything. */
    public int dimensions() {
        if (vectors.length == 0) {
            return 0;
        }
        Base64Vector b = base64(0);
        return b != null ? b.dimensions() : vectors()[0].length;
    }

    /** The upstream's base64 text of vector {@code i}, or null when the vector is held as floats only. */
    public Base64Vector base64(int i) {
        return base64 == null ? null : base64[i];
    }
}
