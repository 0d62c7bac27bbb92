package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads upstream vectors straight from JSON numbers into float arrays (Jackson streaming; no boxed doubles, no
 * tree). All methods expect the parser on the array's START_ARRAY and leave it on the matching END_ARRAY; they
 * throw IOException (callers map it to a 502) on anything but numbers.
 */
public final class JsonVectors {

    /**
     * The project's one JSON factory for vectors: Jackson's fast float parser and Schubfach float writer (the JDK's
     * Float.toString/parseFloat were most of the gateway's CPU per request in bench/run.sh).
     */
    public static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .build();

    private JsonVectors() {
    }

    /** [x, y, ...] → float[d]. */
    public static float[] vector(JsonParser p) throws IOException {
        expect(p, JsonToken.START_ARRAY);
        float[] buf = new float[256];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new IOException("expected a number in a vector, got " + t);
            }
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = p.getFloatValue();
        }
        return n == buf.length ? buf : Arrays.copyOf(buf, n);
    }

    /** Writes float[d] as a JSON array of numbers (Schubfach shortest form with {@link #FACTORY}). */
    public static void write(com.fasterxml.jackson.core.JsonGenerator g, float[] v) throws IOException {
        g.writeStartArray(v, v.length);
        for (float x : v) {
            g.writeNumber(x);
        }
        g.writeEndArray();
    }

    /** [[...], [...]] → float[n][d]. */
    public static float[][] matrix(JsonParser p) throws IOException {
        expect(p, JsonToken.START_ARRAY);
        List<float[]> rows = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            rows.add(vector(p));
        }
        return rows.toArray(float[][]::new);
    }

    /**
     * Any nesting of number arrays: returns a float[] for a 1-D array, else a List of the nested values
     * (so [n][t][d] is List&lt;List&lt;float[]&gt;&gt;).
     */
    public static Object nested(JsonParser p) throws IOException {
        expect(p, JsonToken.START_ARRAY);
        JsonToken first = p.nextToken();
        if (first == JsonToken.END_ARRAY) {
            return new float[0];
        }
        if (first == JsonToken.START_ARRAY) {
            List<Object> out = new ArrayList<>();
            for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
                out.add(nested(p));
            }
            return out;
        }
        float[] buf = new float[256];
        int n = 0;
        for (JsonToken t = first; t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_FLOAT && t != JsonToken.VALUE_NUMBER_INT) {
                throw new IOException("expected a number, got " + t);
            }
            if (n == buf.length) {
                buf = Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = p.getFloatValue();
        }
        return Arrays.copyOf(buf, n);
    }

    private static void expect(JsonParser p, JsonToken t) throws IOException {
        if (p.currentToken() != t) {
            throw new IOException("expected " + t + ", got " + p.currentToken());
        }
    }
}
