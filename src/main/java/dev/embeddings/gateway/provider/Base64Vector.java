package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * One vector as an OpenAI-format upstream sent it with {@code encoding_format: base64} (little-endian float32,
 * base64 with padding): the ASCII characters {@code body[offset, offset + length)} of the upstream's answer, kept
 * as they are. A client that also asked for base64, with nothing changing the vector, gets exactly these
 * characters ({@link #writeTo}); everyone else gets {@link #decode}. Instances are only made by {@link #at}, which
 * checks that the text is plain base64 of whole, finite float32 values, so a client never receives a NaN, an
 * infinity or a broken string through the pass-through either.
 *
 * <p>Holding a slice keeps the upstream's body (about the size of its vectors) alive as long as the result.
 */
public record Base64Vector(byte[] body, int offset, int length) {

    /**
     * The vector of the string token {@code p} is on, read from {@code body} (the bytes the parser was created on,
     * from offset 0) without materialising the string. Returns null when the token is not plain base64 text (it has
     * JSON escapes, e.g. {@code \/}); the caller then reads {@code p.getText()} instead. Throws
     * IllegalArgumentException with a reason for text that is not base64 of finite float32 values.
     */
    static Base64Vector at(JsonParser p, byte[] body) {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new IllegalStateException("not on a string");
        }
        long quote = p.currentTokenLocation().getByteOffset();
        if (quote < 0 || quote >= body.length || body[(int) quote] != '"') {
            return null;
        }
        int start = (int) quote + 1;
        int end = start;
        // characters outside the base64 alphabet are refused by the decoder in check()
        while (end < body.length) {
            byte c = body[end];
            if (c == '"') {
                break;
            }
            if (c == '\\') {
                return null;
            }
            end++;
        }
        Base64Vector v = new Base64Vector(body, start, end - start);
        v.check();
        return v;
    }

    /** Checks a whole number of float32 values, all finite; throws IllegalArgumentException with the reason. */
    private void check() {
        if (length == 0 || length % 4 != 0) {
            throw new IllegalArgumentException("not base64 of float32 values");
        }
        ByteBuffer b;
        try {
            b = bytes();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not base64");
        }
        if (b.remaining() % 4 != 0) {
            throw new IllegalArgumentException("not a whole number of float32 values");
        }
        for (int i = b.position(); i < b.limit(); i += 4) {
            if (!Float.isFinite(b.getFloat(i))) {
                throw new NonFinite();
            }
        }
    }

    /** Thrown by {@link #at} for a value that is NaN or infinite. */
    static final class NonFinite extends IllegalArgumentException {
        NonFinite() {
            super("a value that is not a finite number", null);
        }
    }

    /** The vector's length (number of float32 values), from the text's length alone. */
    public int dimensions() {
        int pad = length > 0 && body[offset + length - 1] == '=' ? (length > 1 && body[offset + length - 2] == '='
                ? 2 : 1) : 0;
        return (length / 4 * 3 - pad) / 4;
    }

    /** float[d], decoded from the little-endian float32 bytes. */
    public float[] decode() {
        ByteBuffer b = bytes();
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    /** Writes the text as a JSON string value, as the upstream sent it. */
    public void writeTo(JsonGenerator g) throws IOException {
        g.writeRawUTF8String(body, offset, length);
    }

    private ByteBuffer bytes() {
        return Base64.getDecoder().decode(ByteBuffer.wrap(body, offset, length)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
