package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;

/**
 * Reading an upstream's JSON answer with Jackson's streaming parser ({@link JsonVectors#FACTORY}; no tree, no
 * boxing): the top-level object one field at a time, each adapter saying which fields it reads and how, the rest
 * skipped whole. An adapter writes only its own field handling (a {@link Fields}); the skeleton and the shared
 * errors live here. Every error is a GatewayException 502 {@code upstream_bad_response} naming the provider
 * ({@link UpstreamErrors#unparseable}): "not a JSON object", "invalid JSON" (a syntax error, a truncated body, or an
 * IOException from an adapter's reader such as {@link JsonVectors} meeting a non-number), and
 * "{@code N} embeddings for {@code M} inputs" ({@link #checkCount}).
 */
public final class UpstreamJson {

    private UpstreamJson() {
    }

    /** An adapter's reading of the fields it knows, into its parse state {@code S}. */
    @FunctionalInterface
    public interface Fields<S> {
        /**
         * Called with the parser on {@code value}, the first token of field {@code name}'s value (START_OBJECT,
         * START_ARRAY or a scalar). Returns true when it has read the whole value (leaving the parser on the value's
         * last token: its END_OBJECT / END_ARRAY, or the scalar itself), false to have the value skipped. Throws
         * IOException for a value it cannot read (502 "invalid JSON"), or a GatewayException of its own, which
         * passes through unchanged.
         */
        boolean read(S state, String name, JsonToken value, JsonParser p) throws IOException;
    }

    /**
     * The parse state of most answers: the vectors (null until read) and the upstream's own token count (-1 until
     * read), for one {@code provider} (its display name, for the errors a reader throws itself).
     */
    public static final class Answer {
        public final String provider;
        public float[][] vectors;
        public int tokens = -1;

        public Answer(String provider) {
            this.provider = provider;
        }
    }

    /** {@link #read(byte[], String, Object, Fields)} into a new {@link Answer}. */
    public static Answer read(byte[] body, String provider, Fields<Answer> fields) {
        return read(body, provider, new Answer(provider), fields);
    }

    /**
     * Reads {@code body}, which must be a JSON object, passing each top-level field to {@code fields} with
     * {@code state}; returns {@code state}. What follows the object's end is not read. Throws GatewayException 502
     * naming {@code provider}: "not a JSON object" when the body starts with anything else, "invalid JSON" for
     * unreadable JSON or an IOException from {@code fields}.
     */
    public static <S> S read(byte[] body, String provider, S state, Fields<S> fields) {
        try (JsonParser p = JsonVectors.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw UpstreamErrors.unparseable(provider, "not a JSON object");
            }
            readFields(p, state, fields);
        } catch (IOException e) {
            throw UpstreamErrors.unparseable(provider, "invalid JSON");
        }
        return state;
    }

    /**
     * Reads the object the parser is on (its START_OBJECT) field by field, as {@link #read} does the top level, and
     * leaves the parser on its END_OBJECT: for objects nested in a value a {@link Fields} reads. Throws IOException
     * when the parser is not on a START_OBJECT, or for unreadable JSON.
     */
    public static <S> void readFields(JsonParser p, S state, Fields<S> fields) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("expected an object, got " + p.currentToken());
        }
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken value = p.nextToken();
            if (!fields.read(state, name, value, p)) {
                p.skipChildren();
            }
        }
    }

    /** Reads one value, the parser on its first token (e.g. {@link JsonVectors#vector}). */
    @FunctionalInterface
    public interface Value<T> {
        T read(JsonParser p) throws IOException;
    }

    /**
     * In the object the parser is on (its START_OBJECT), the value of field {@code name} read by {@code value} when
     * it starts with {@code token}, the other fields skipped; null when there is none (the last, when the field
     * repeats). Leaves the parser on the object's END_OBJECT. Throws IOException as {@link #readFields} does.
     */
    public static <T> T field(JsonParser p, String name, JsonToken token, Value<T> value) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw new IOException("expected an object, got " + p.currentToken());
        }
        T found = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            if (p.nextToken() == token && name.equals(f)) {
                found = value.read(p);
            } else {
                p.skipChildren();
            }
        }
        return found;
    }

    /**
     * Checks that an upstream answered one embedding per input: GatewayException 502 naming {@code provider},
     * "{@code count} embeddings for {@code inputs} inputs", when {@code count != inputs}.
     */
    public static void checkCount(String provider, int count, int inputs) {
        if (count != inputs) {
            throw UpstreamErrors.unparseable(provider, count + " embeddings for " + inputs + " inputs");
        }
    }
}
