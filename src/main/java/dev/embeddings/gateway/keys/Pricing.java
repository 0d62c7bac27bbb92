package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;

/**
 * What an embeddings call costs, in USD per input token, for a deployment:
 * <ol>
 *   <li>{@code model_info.input_cost_per_token} (LiteLLM's field), else the same key in {@code litellm_params};</li>
 *   <li>else the built-in price of the upstream model ({@link #BUILT_IN}; Azure deployments are looked up by
 *       {@code model_info.base_model}, LiteLLM's way of naming the model behind a deployment name; Bedrock
 *       inference-profile prefixes such as {@code us.} are ignored);</li>
 *   <li>else 0 (the local model, self-hosted SageMaker or Hugging Face endpoints, unknown models).</li>
 * </ol>
 * A request's cost is its {@code usage.prompt_tokens} times the price, exact (BigDecimal, no float rounding).
 */
public final class Pricing {

    /**
     * Built-in list prices (USD per token = USD per 1M tokens / 1,000,000), from the providers' price pages:
     * OpenAI / Azure OpenAI text-embedding-3-small $0.02, text-embedding-3-large $0.13, text-embedding-ada-002 $0.10
     * per 1M tokens; Amazon Bedrock Titan Text Embeddings v1 $0.10, v2 $0.02, Cohere Embed English/Multilingual v3
     * $0.10, Cohere Embed v4 $0.12 per 1M input tokens (on-demand, us-east-1).
     */
    public static final Map<String, BigDecimal> BUILT_IN = Map.of(
            "text-embedding-3-small", new BigDecimal("0.00000002"),
            "text-embedding-3-large", new BigDecimal("0.00000013"),
            "text-embedding-ada-002", new BigDecimal("0.0000001"),
            "amazon.titan-embed-text-v1", new BigDecimal("0.0000001"),
            "amazon.titan-embed-g1-text-02", new BigDecimal("0.0000001"),
            "amazon.titan-embed-text-v2:0", new BigDecimal("0.00000002"),
            "cohere.embed-english-v3", new BigDecimal("0.0000001"),
            "cohere.embed-multilingual-v3", new BigDecimal("0.0000001"),
            "cohere.embed-v4:0", new BigDecimal("0.00000012"));

    private Pricing() {
    }

    /** USD per input token for deployment {@code d} (see the class comment); never null. */
    public static BigDecimal perToken(Deployment d) {
        BigDecimal configured = number(d.modelInfo().get("input_cost_per_token"));
        if (configured == null) {
            configured = number(d.params().get("input_cost_per_token"));
        }
        if (configured != null) {
            return configured;
        }
        if (d.provider() == Provider.LOCAL) {
            return BigDecimal.ZERO;
        }
        Object base = d.modelInfo().get("base_model");
        String model = base != null ? base.toString() : d.upstreamModel();
        int slash = model.lastIndexOf('/');
        if (slash >= 0) {
            model = model.substring(slash + 1);
        }
        BigDecimal p = BUILT_IN.get(model);
        if (p == null && model.matches("^(us|eu|apac|global|us-gov|jp|au)\\..+")) {
            p = BUILT_IN.get(model.substring(model.indexOf('.') + 1));
        }
        return p != null ? p : BigDecimal.ZERO;
    }

    /** The highest price in a model group: what a request is reserved at before the router picks a deployment. */
    public static BigDecimal maxPerToken(List<Deployment> group) {
        BigDecimal max = BigDecimal.ZERO;
        for (Deployment d : group) {
            max = max.max(perToken(d));
        }
        return max;
    }

    /** {@code tokens} times {@code perToken}. */
    public static BigDecimal cost(BigDecimal perToken, long tokens) {
        return perToken.multiply(BigDecimal.valueOf(tokens));
    }

    private static BigDecimal number(Object o) {
        if (o == null) {
            return null;
        }
        try {
            // Double.toString gives the shortest decimal that reads back as the same double: 1e-7 -> 1.0E-7 exactly
            BigDecimal v = o instanceof Number n && !(o instanceof BigDecimal)
                    ? new BigDecimal(Double.toString(n.doubleValue())) : new BigDecimal(o.toString().strip());
            return v.signum() < 0 ? null : v;
        } catch (NumberFormatException e) {
            throw new dev.embeddings.gateway.config.ConfigException("input_cost_per_token must be a number, got '"
                    + o + "'");
        }
    }
}
