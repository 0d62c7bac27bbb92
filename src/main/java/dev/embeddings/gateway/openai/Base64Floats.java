package dev.embeddings.gateway.openai;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/** OpenAI's {@code encoding_format: base64}: a vector as little-endian float32 bytes, base64-encoded. */
public final class Base64Floats {

    private Base64Floats() {
    }

    /** float[d] → base64 of 4·d little-endian float32 bytes. */
    public static String encode(float[] v) {
        return Base64.getEncoder().encodeToString(littleEndian(v));
    }

    /** float[d] → the same base64 text as {@link #encode}, as ASCII bytes (for writing into UTF-8 JSON). */
    public static byte[] encodeAscii(float[] v) {
        return Base64.getEncoder().encode(littleEndian(v));
    }

    private static byte[] littleEndian(float[] v) {
        ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        buf.asFloatBuffer().put(v);
        return buf.array();
    }

    /**
     * base64 of little-endian float32 bytes → float[d]. Throws IllegalArgumentException when the text is not
     * base64 or not a whole number of float32 values.
     */
    public static float[] decode(String s) {
        byte[] b = Base64.getDecoder().decode(s);
        if (b.length % 4 != 0) {
            throw new IllegalArgumentException("not a whole number of float32 values");
        }
        float[] v = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
