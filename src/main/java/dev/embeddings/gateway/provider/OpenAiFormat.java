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
        float[][] vectors = new float[n][];
        Base64Vector[] base64 = null;
        int tokens = -1;
        int seen = 0;
        try (JsonParser p = JsonVectors.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw UpstreamErrors.unparseable(provider, "not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                JsonToken v = p.nextToken();
                switch (f) {
                    case "data" -> {
                        if (v != JsonToken.START_ARRAY) {
                            throw UpstreamErrors.unparseable(provider, "data is not an array");
                        }
                        while (p.nextToken() == JsonToken.START_OBJECT) {
                            int index = -1;
                            float[] vec = null;
                            Base64Vector text = null;
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String g = p.currentName();
                                JsonToken gv = p.nextToken();
                                if ("index".equals(g) && gv == JsonToken.VALUE_NUMBER_INT) {
                                    index = p.getIntValue();
                                    if (index < 0) {
                                        throw UpstreamErrors.unparseable(provider, "negative data index");
                                    }
                                } else if ("embedding".equals(g) && gv == JsonToken.START_ARRAY) {
                                    vec = JsonVectors.vector(p);
                                } else if ("embedding".equals(g) && gv == JsonToken.VALUE_STRING) {
                                    text = base64(p, body, provider);
                                    if (text == null) {
                                        // JSON escapes inside the text: decode the unescaped string instead
                                        vec = fromBase64(p.getText(), provider);
                                    }
                                } else {
                                    p.skipChildren();
                                }
                            }
                            if (vec == null && text == null) {
                                throw UpstreamErrors.unparseable(provider, "data item without embedding");
                            }
                            if (index < 0) {
                                index = seen;
                            }
                            if (index >= n) {
                                throw UpstreamErrors.unparseable(provider, "data index " + index + " for " + n
                                        + " inputs");
                            }
                            if (vectors[index] != null || (base64 != null && base64[index] != null)) {
                                throw UpstreamErrors.unparseable(provider, "duplicate data index " + index);
                            }
                            if (text != null) {
                                if (base64 == null) {
                                    base64 = new Base64Vector[n];
                                }
                                base64[index] = text;
                            } else {
                                vectors[index] = vec;
                            }
                            seen++;
                        }
                    }
                    case "usage" -> {
                        if (v == JsonToken.START_OBJECT) {
                            while (p.nextToken() == JsonToken.FIELD_NAME) {
                                String g = p.currentName();
                                JsonToken gv = p.nextToken();
                                if ("prompt_tokens".equals(g) && gv == JsonToken.VALUE_NUMBER_INT) {
                                    tokens = p.getIntValue();
                                } else {
                                    p.skipChildren();
                                }
                            }
                        } else {
                            p.skipChildren();
                        }
                    }
                    case "error" -> throw UpstreamErrors.unparseable(provider, "an error body with a 2xx status: "
                            + UpstreamErrors.sanitize(UpstreamErrors.upstreamMessage(body), null));
                    default -> p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw UpstreamErrors.unparseable(provider, "invalid JSON");
        }
        if (seen != n) {
            throw UpstreamErrors.unparseable(provider, seen + " embeddings for " + n + " inputs");
        }
        for (int i = 0; i < n; i++) {
            if (vectors[i] == null && (base64 == null || base64[i] == null)) {
                throw UpstreamErrors.unparseable(provider, "missing data index " + i);
            }
        }
        return new BatchResult(batch.offset(), vectors, tokens >= 0 ? tokens : batch.countTokens(), base64);
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
