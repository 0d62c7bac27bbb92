package dev.embeddings.gateway.config;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One {@code model_list} entry of config.yaml: the public {@code model_name}, the provider and upstream id parsed
 * from {@code litellm_params.model} ("{@code <provider>/<upstream id>}"), and the rest of {@code litellm_params}
 * with every {@code os.environ/NAME} already resolved.
 *
 * <p>{@link #toString()} never prints parameter values, since {@code api_key} and the AWS keys live among them.
 */
public final class Deployment {

    /** litellm_params keys whose values are secrets: never logged, never in an error body. */
    public static final Set<String> SECRET_KEYS = Set.of("api_key", "aws_access_key_id", "aws_secret_access_key",
            "aws_session_token", "azure_ad_token", "client_secret");

    private final String modelName;
    private final Provider provider;
    private final String upstreamModel;
    private final Map<String, Object> params;
    private final Map<String, Object> modelInfo;
    private final int position;

    public Deployment(String modelName, Provider provider, String upstreamModel, Map<String, Object> params,
                      Map<String, Object> modelInfo, int position) {
        this.modelName = modelName;
        this.provider = provider;
        this.upstreamModel = upstreamModel;
        this.params = Collections.unmodifiableMap(params);
        this.modelInfo = Collections.unmodifiableMap(modelInfo);
        this.position = position;
    }

    /** The name clients send as {@code model}. */
    public String modelName() {
        return modelName;
    }

    public Provider provider() {
        return provider;
    }

    /** The provider-side id: Bedrock model id, SageMaker endpoint name, Azure deployment, HF model id, local model. */
    public String upstreamModel() {
        return upstreamModel;
    }

    /** {@code model_info.id} if set, else {@code "<model_name>#<position in model_list>"}. */
    public String id() {
        Object id = modelInfo.get("id");
        return id != null ? id.toString() : modelName + "#" + position;
    }

    public Map<String, Object> params() {
        return params;
    }

    public Map<String, Object> modelInfo() {
        return modelInfo;
    }

    /** A string parameter of litellm_params, or null when absent. */
    public String string(String key) {
        Object v = params.get(key);
        return v == null ? null : v.toString();
    }

    /** An integer parameter; throws ConfigException when it is present but not an integer. */
    public Integer integer(String key) {
        Object v = params.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.intValue();
        }
        try {
            return Integer.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("model_list entry '" + modelName + "': litellm_params." + key
                    + " must be an integer");
        }
    }

    /** A number parameter (e.g. {@code timeout} in seconds); throws ConfigException when not a number. */
    public Double number(String key) {
        Object v = params.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("model_list entry '" + modelName + "': litellm_params." + key
                    + " must be a number");
        }
    }

    /** A boolean parameter ({@code true}/{@code false}, any case), or the default when absent. */
    public boolean bool(String key, boolean dflt) {
        Object v = params.get(key);
        if (v == null) {
            return dflt;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        return Boolean.parseBoolean(v.toString().trim().toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return "Deployment[" + id() + " " + provider.prefix() + "/" + upstreamModel + "]";
    }
}
