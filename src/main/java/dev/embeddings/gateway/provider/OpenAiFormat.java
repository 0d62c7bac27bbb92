package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.openai.EmbeddingRequest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The OpenAI embeddings wire format as spoken by OpenAI-compatible upstreams (Azure OpenAI, TEI's /v1, SageMaker
 * endpoints in {@code openai} format).
 *
 * <p>Upstreams are asked for {@code encoding_format: base64} unless the deployment sets
 * {@code litellm_params.encoding_format: float} (for a server that refuses base64): reading little-endian float32
 * from base64 costs a small fraction of parsing float text (which was over half of the gateway's CPU for 8 × 1536
 * vectors), and the base64 text is passed through untouched to clients that want base64 (see
 * {@link EmbeddingResult}). Either answer is read, whatever was asked.
 */
public final class OpenAiFormat {

    private OpenAiFormat() {
    }

    /** What upstreams are asked for when the deployment does not say: {@value}. */
    public static final String DEFAULT_UPSTREAM_ENCODING = "base64";

    /**
     * The {@code encoding_format} to ask a deployment's upstream for: {@code litellm_params.encoding_format}
     * ({@code float} or {@code base64}), else {@value #DEFAULT_UPSTREAM_ENCODING}. Throws ConfigException for any
     * other value (adapters call it from {@code prepare}, so a bad value stops start-up).
     */
    public static String upstreamEncoding(dev.embeddings.gateway.config.Deployment d) {
        String e = d.string("encoding_format");
        if (e == null) {
            return DEFAULT_UPSTREAM_ENCODING;
        }
        if (!e.equals("float") && !e.equals("base64")) {
            throw new dev.embeddings.gateway.config.ConfigException("model_list entry '" + d.modelName()
                    + "': litellm_params.encoding_format must be float or base64, not '" + e + "'");
        }
        return e;
    }

    /** {@link #request(Batch, EmbeddingRequest, String, boolean, String)} asking for base64. */
    public static byte[] request(Batch batch, EmbeddingRequest req, String model, boolean withDimensions) {
        return request(batch, req, model, withDimensions, DEFAULT_UPSTREAM_ENCODING);
    }

    /**
     * The upstream request body: {@code {"input":[...], "model"?, "encoding_format":<upstreamEncoding>,
     * "dimensions"?, "user"?}}. Token-id batches are sent as arrays of ints; options the client did not set are
     * absent, never null. {@code upstreamEncoding} is {@code base64} or {@code float} (see
     * {@link #upstreamEncoding}), independent of what the client asked for.
     */
    public static byte[] request(Batch batch, EmbeddingRequest req, String model, boolean withDimensions,
                                 String upstreamEncoding) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeArrayFieldStart("input");
            if (batch.texts() != null) {
                for (String t : batch.texts()) {
                    g.writeString(t);
                }
            } else {
                for (int[] ids : batch.tokenIds()) {
                    g.writeArray(ids, 0, ids.length);
                }
            }
            g.writeEndArray();
            if (model != null) {
                g.writeStringField("model", model);
            }
            g.writeStringField("encoding_format", upstreamEncoding);
            if (withDimensions && req.dimensions() != null) {
                g.writeNumberField("dimensions", req.dimensions());
            }
            if (req.user() != null) {
                g.writeStringField("user", req.user());
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Parses {@code {"data":[{"index":i,"embedding":[...]|"base64"}], "usage":{"prompt_tokens":n}}} for a batch.
     * {@code data} out of order is re-sorted by index. Float vectors are read into float[]; base64 ones are kept
     * as the upstream's text ({@link Base64Vector}, checked: whole float32 values, all finite) and decoded only
     * when a consumer needs numbers. Throws GatewayException 502 for a count mismatch, a duplicate or missing
     * index, an error body, an embedding that is not base64 of finite float32 values, or anything not in this
     * format. Without usage, tokens are counted.
     */
    public static BatchResult response(byte[] body, Batch batch, String provider) {
        int n = batch.size();
        Answer a = UpstreamJson.read(body, provider, new Answer(body, n, provider), OpenAiFormat::field);
        UpstreamJson.checkCount(provider, a.seen, n);
        for (int i = 0; i < n; i++) {
            if (a.vectors[i] == null && (a.base64 == null || a.base64[i] == null)) {
                throw UpstreamErrors.unparseable(provider, "missing data index " + i);
            }
        }
        return new BatchResult(batch.offset(), a.vectors, a.tokens >= 0 ? a.tokens : batch.countTokens(), a.base64);
    }

    /** An answer being read: the vectors by index, the usage, and the data item being read. */
    private static final class Answer {
        final byte[] body;
        final String provider;
        final float[][] vectors;
        Base64Vector[] base64;
        int tokens = -1;
        int seen;
        int index;
        float[] vector;
        Base64Vector text;

        Answer(byte[] body, int n, String provider) {
            this.body = body;
            this.provider = provider;
            this.vectors = new float[n][];
        }
    }

    /** The answer's fields: {@code data} (see {@link #item}), {@code usage.prompt_tokens}; {@code error} is a 502. */
    private static boolean field(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        switch (f) {
            case "data" -> {
                if (v != JsonToken.START_ARRAY) {
                    throw UpstreamErrors.unparseable(a.provider, "data is not an array");
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                    a.index = -1;
                    a.vector = null;
                    a.text = null;
                    UpstreamJson.readFields(p, a, OpenAiFormat::item);
                    place(a);
                }
                return true;
            }
            case "usage" -> {
                if (v != JsonToken.START_OBJECT) {
                    return false;
                }
                UpstreamJson.readFields(p, a, OpenAiFormat::usage);
                return true;
            }
            case "error" -> throw UpstreamErrors.unparseable(a.provider, "an error body with a 2xx status: "
                    + UpstreamErrors.sanitize(UpstreamErrors.upstreamMessage(a.body), null));
            default -> {
                return false;
            }
        }
    }

    /** A data item's fields: {@code index}, and {@code embedding} as base64 text (kept as it is) or numbers. */
    private static boolean item(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("index".equals(f) && v == JsonToken.VALUE_NUMBER_INT) {
            a.index = p.getIntValue();
            if (a.index < 0) {
                throw UpstreamErrors.unparseable(a.provider, "negative data index");
            }
            return true;
        }
        if ("embedding".equals(f) && v == JsonToken.START_ARRAY) {
            a.vector = JsonVectors.vector(p);
            return true;
        }
        if ("embedding".equals(f) && v == JsonToken.VALUE_STRING) {
            a.text = base64(p, a.body, a.provider);
            if (a.text == null) {
                // JSON escapes inside the text: decode the unescaped string instead
                a.vector = fromBase64(p.getText(), a.provider);
            }
            return true;
        }
        return false;
    }

    /** Puts the data item just read at its index (its position in data when it has none). */
    private static void place(Answer a) {
        if (a.vector == null && a.text == null) {
            throw UpstreamErrors.unparseable(a.provider, "data item without embedding");
        }
        int n = a.vectors.length;
        int index = a.index < 0 ? a.seen : a.index;
        if (index >= n) {
            throw UpstreamErrors.unparseable(a.provider, "data index " + index + " for " + n + " inputs");
        }
        if (a.vectors[index] != null || (a.base64 != null && a.base64[index] != null)) {
            throw UpstreamErrors.unparseable(a.provider, "duplicate data index " + index);
        }
        if (a.text != null) {
            if (a.base64 == null) {
                a.base64 = new Base64Vector[n];
            }
            a.base64[index] = a.text;
        } else {
            a.vectors[index] = a.vector;
        }
        a.seen++;
    }

    private static boolean usage(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("prompt_tokens".equals(f) && v == JsonToken.VALUE_NUMBER_INT) {
            a.tokens = p.getIntValue();
            return true;
        }
        return false;
    }

    /** The base64 embedding the parser is on, kept as text; null when it has JSON escapes; 502 when unusable. */
    private static Base64Vector base64(JsonParser p, byte[] body, String provider) {
        try {
            return Base64Vector.at(p, body);
        } catch (Base64Vector.NonFinite e) {
            throw BatchCollector.bad("an embedding holds a value that is not a finite number");
        } catch (IllegalArgumentException e) {
            throw UpstreamErrors.unparseable(provider, "an embedding that is not base64 float32 values");
        }
    }

    private static float[] fromBase64(String s, String provider) {
        try {
            return Base64Floats.decode(s);
        } catch (IllegalArgumentException e) {
            throw UpstreamErrors.unparseable(provider, "an embedding that is not base64 float32 values");
        }
    }
}
