package dev.embeddings.gateway.provider.huggingface;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;

import java.io.IOException;
import java.util.List;

/**
 * Reads the body of a Hugging Face feature-extraction answer (TEI {@code /embed}, an Inference Endpoint, the
 * serverless {@code hf-inference} pipeline) into one float vector per input, pooling token-level answers.
 *
 * <p>The shapes, for a batch of {@code n} inputs sent as {@code {"inputs":[...]}}:
 * <ul>
 *   <li>{@code [d]}: one sentence vector; only valid for {@code n = 1}.</li>
 *   <li>{@code [n][d]}: sentence vectors (TEI, sentence-transformers models), used as they are.</li>
 *   <li>{@code [n][t][d]}: {@code t} token vectors per input (plain transformers models), pooled.</li>
 *   <li>{@code [n][1][t][d]}: the same with a batch axis of 1 per input, pooled.</li>
 * </ul>
 * Each input may have its own {@code t}; every vector (sentence or token) must have the same {@code d >= 1}.
 * Anything else (a count other than {@code n}, ragged or empty vectors, mixed depths, deeper nesting, an object
 * such as {@code {"error": ...}}, non-numbers, trailing data) is a GatewayException 502
 * ({@code upstream_bad_response}).
 */
final class FeatureExtraction {

    /** How token vectors {@code [t][d]} become one vector {@code [d]}. */
    enum Pooling {
        /** The component-wise mean over the {@code t} tokens. */
        MEAN,
        /** The first token's vector ({@code [CLS]} for BERT-like models). */
        CLS
    }

    private FeatureExtraction() {
    }

    /**
     * Parses {@code body} for a batch of {@code n} inputs. Returns float[n][d] in batch order. Throws
     * GatewayException 502 for any shape other than the four above, naming {@code provider}.
     */
    static float[][] parse(byte[] body, int n, Pooling pooling, String provider) {
        Object root;
        try (JsonParser p = JsonVectors.FACTORY.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == JsonToken.START_OBJECT) {
                throw UpstreamErrors.unparseable(provider, hasErrorField(p)
                        ? "an error body with a 2xx status" : "a JSON object instead of an array of vectors");
            }
            if (first != JsonToken.START_ARRAY) {
                throw UpstreamErrors.unparseable(provider, "not a JSON array of vectors");
            }
            root = JsonVectors.nested(p);
            if (p.nextToken() != null) {
                throw UpstreamErrors.unparseable(provider, "trailing data after the vectors");
            }
        } catch (IOException e) {
            throw UpstreamErrors.unparseable(provider, "invalid JSON or a non-number in the vectors");
        }
        return shape(root, n, pooling, provider);
    }

    /** The vectors for a value of {@link JsonVectors#nested}: float[] or nested Lists ending in float[]. */
    static float[][] shape(Object root, int n, Pooling pooling, String provider) {
        if (root instanceof float[] single) {
            if (single.length == 0) {
                throw UpstreamErrors.unparseable(provider, "an empty array");
            }
            if (n != 1) {
                throw UpstreamErrors.unparseable(provider, "a single vector for " + n + " inputs");
            }
            return new float[][]{checked(single, -1, provider)};
        }
        List<?> outer = (List<?>) root;
        if (outer.size() != n) {
            throw UpstreamErrors.unparseable(provider, outer.size() + " embeddings for " + n + " inputs");
        }
        int depth = depth(outer.get(0));
        if (depth == 0) {
            throw UpstreamErrors.unparseable(provider, "an empty array where vectors were expected");
        }
        float[][] out = new float[n][];
        int d = -1;
        for (int i = 0; i < n; i++) {
            Object item = outer.get(i);
            if (depth(item) != depth) {
                throw UpstreamErrors.unparseable(provider, "inputs with different nesting depths");
            }
            out[i] = switch (depth) {
                case 1 -> checked((float[]) item, d, provider);                       // [n][d]
                case 2 -> pool((List<?>) item, d, pooling, provider);                 // [n][t][d]
                case 3 -> {                                                            // [n][1][t][d]
                    List<?> batchAxis = (List<?>) item;
                    if (batchAxis.size() != 1) {
                        throw UpstreamErrors.unparseable(provider, "a batch axis of " + batchAxis.size()
                                + " in a [n][1][t][d] answer");
                    }
                    yield pool((List<?>) batchAxis.get(0), d, pooling, provider);
                }
                default -> throw UpstreamErrors.unparseable(provider, "an array nested " + (depth + 1)
                        + " levels deep");
            };
            d = out[i].length;
        }
        return out;
    }

    /** Nesting depth of a nested() value: 1 for float[], 2 for List&lt;float[]&gt;, ...; 0 for an empty List. */
    private static int depth(Object o) {
        int depth = 1;
        while (o instanceof List<?> l) {
            if (l.isEmpty()) {
                return 0;
            }
            o = l.get(0);
            depth++;
        }
        return depth;
    }

    /** Token vectors [t][d] → [d] by {@code pooling}; all tokens must have {@code d} (or any one d when -1). */
    private static float[] pool(List<?> tokens, int d, Pooling pooling, String provider) {
        if (tokens.isEmpty()) {
            throw UpstreamErrors.unparseable(provider, "an input without token vectors");
        }
        float[] first = checked(asVector(tokens.get(0), provider), d, provider);
        if (pooling == Pooling.CLS) {
            for (Object t : tokens) {
                checked(asVector(t, provider), first.length, provider);
            }
            return first;
        }
        double[] sum = new double[first.length];
        for (Object t : tokens) {
            float[] v = checked(asVector(t, provider), first.length, provider);
            for (int j = 0; j < v.length; j++) {
                sum[j] += v[j];
            }
        }
        float[] mean = new float[sum.length];
        for (int j = 0; j < sum.length; j++) {
            mean[j] = (float) (sum[j] / tokens.size());
        }
        return mean;
    }

    private static float[] asVector(Object o, String provider) {
        if (o instanceof float[] v) {
            return v;
        }
        throw UpstreamErrors.unparseable(provider, "ragged token vectors");
    }

    /** Returns {@code v} if it is non-empty and has {@code d} components (any when d is -1), else a 502. */
    private static float[] checked(float[] v, int d, String provider) {
        if (v.length == 0) {
            throw UpstreamErrors.unparseable(provider, "an empty vector");
        }
        if (d >= 0 && v.length != d) {
            throw UpstreamErrors.unparseable(provider, "vectors of " + d + " and " + v.length + " dimensions");
        }
        return v;
    }

    /** Whether the object the parser is on has a top-level {@code error} field. */
    private static boolean hasErrorField(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            if ("error".equals(p.currentName())) {
                return true;
            }
            p.nextToken();
            p.skipChildren();
        }
        return false;
    }
}
