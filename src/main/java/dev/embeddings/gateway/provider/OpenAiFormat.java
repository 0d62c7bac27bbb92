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
 */
public final class OpenAiFormat {

    private OpenAiFormat() {
    }

    /**
     * The upstream request body: {@code {"input":[...], "model"?, "encoding_format":"float", "dimensions"?, "user"?}}.
     * Token-id batches are sent as arrays of ints; options the client did not set are absent, never null.
     */
    public static byte[] request(Batch batch, EmbeddingRequest req, String model, boolean withDimensions) {
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
            g.writeStringField("encoding_format", "float");
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
     * {@code data} out of order is re-sorted by index. Throws GatewayException 502 for a count mismatch, a duplicate
     * or missing index, an error body, or anything not in this format. Without usage, tokens are counted.
     */
    public static BatchResult response(byte[] body, Batch batch, String provider) {
        int n = batch.size();
        float[][] vectors = new float[n][];
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
                                    vec = fromBase64(p.getText(), provider);
                                } else {
                                    p.skipChildren();
                                }
                            }
                            if (vec == null) {
                                throw UpstreamErrors.unparseable(provider, "data item without embedding");
                            }
                            if (index < 0) {
                                index = seen;
                            }
                            if (index >= n) {
                                throw UpstreamErrors.unparseable(provider, "data index " + index + " for " + n
                                        + " inputs");
                            }
                            if (vectors[index] != null) {
                                throw UpstreamErrors.unparseable(provider, "duplicate data index " + index);
                            }
                            vectors[index] = vec;
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
            if (vectors[i] == null) {
                throw UpstreamErrors.unparseable(provider, "missing data index " + i);
            }
        }
        return new BatchResult(batch.offset(), vectors, tokens >= 0 ? tokens : batch.countTokens());
    }

    private static float[] fromBase64(String s, String provider) {
        try {
            return Base64Floats.decode(s);
        } catch (IllegalArgumentException e) {
            throw UpstreamErrors.unparseable(provider, "an embedding that is not base64 float32 values");
        }
    }
}
