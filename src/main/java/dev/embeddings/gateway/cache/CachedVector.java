package dev.embeddings.gateway.cache;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One cached embedding: the vector and the input tokens it was counted as when it was embedded.
 *
 * <p>Stored form ({@link #toBytes()}): the token count as a little-endian int32, then the vector as little-endian
 * float32 values, 4 + 4·d bytes, no JSON. Floats round-trip exactly (the gateway's vectors are float32).
 *
 * @param vector       the embedding, d floats
 * @param promptTokens the tokens this input counts for in {@code usage.prompt_tokens} when served from the cache
 */
public record CachedVector(float[] vector, int promptTokens) {

    /** The stored form: int32 token count, then float32 values, all little-endian. */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * vector.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(promptTokens);
        b.asFloatBuffer().put(vector);
        return b.array();
    }

    /** Reads {@link #toBytes()}; null for null, or for bytes of another shape (never an exception). */
    public static CachedVector fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < 8 || bytes.length % 4 != 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int tokens = b.getInt();
        float[] v = new float[(bytes.length - 4) / 4];
        b.asFloatBuffer().get(v);
        return tokens < 0 ? null : new CachedVector(v, tokens);
    }

    /** Approximate heap bytes of this entry and its key, for the in-process store's byte bound. */
    int weight() {
        return 4 * vector.length + 128;
    }
}
