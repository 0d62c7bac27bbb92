package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;

/**
 * OpenAI {@code dimensions} for providers that cannot shorten vectors themselves: a deployment that declares
 * {@code litellm_params.matryoshka: true} gets its vectors truncated to the first {@code dimensions} components and
 * re-normalised to unit length; otherwise only the model's native size is accepted.
 */
public final class Dimensions {

    private Dimensions() {
    }

    /**
     * Checks a request's {@code dimensions} before any upstream call. Throws GatewayException 400
     * (param {@code dimensions}) when it is set, differs from {@code nativeDim} (0 = unknown) and the deployment is
     * not matryoshka, or when it exceeds a known native size.
     */
    public static void check(Integer dimensions, Deployment deployment, int nativeDim) {
        if (dimensions == null || (nativeDim > 0 && dimensions == nativeDim)) {
            return;
        }
        if (nativeDim > 0 && dimensions > nativeDim) {
            throw GatewayException.invalid("dimensions", "dimensions " + dimensions + " exceeds the "
                    + nativeDim + " dimensions of model '" + deployment.modelName() + "'.");
        }
        if (!deployment.bool("matryoshka", false)) {
            throw GatewayException.invalid("dimensions", "Model '" + deployment.modelName()
                    + "' does not support the dimensions parameter (set litellm_params.matryoshka: true to "
                    + "truncate and re-normalise).");
        }
    }

    /**
     * Returns the vectors cut to {@code dimensions} and scaled to unit L2 norm; the input when dimensions is null
     * or not smaller than the vectors. Throws GatewayException 400 when a vector is shorter than dimensions.
     */
    public static float[][] truncate(float[][] vectors, Integer dimensions) {
        if (dimensions == null) {
            return vectors;
        }
        float[][] out = new float[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            float[] v = vectors[i];
            if (v.length < dimensions) {
                throw GatewayException.invalid("dimensions", "dimensions " + dimensions + " exceeds the "
                        + v.length + " dimensions the model returned.");
            }
            if (v.length == dimensions) {
                out[i] = v;
                continue;
            }
            float[] t = java.util.Arrays.copyOf(v, dimensions);
            double sum = 0;
            for (float x : t) {
                sum += (double) x * x;
            }
            double norm = Math.sqrt(sum);
            if (norm > 0) {
                for (int j = 0; j < t.length; j++) {
                    t[j] = (float) (t[j] / norm);
                }
            }
            out[i] = t;
        }
        return out;
    }
}
