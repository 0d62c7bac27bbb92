package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.config.ModelRegistry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which vector space each deployment and model group embeds into, and the start-up rule that keeps a request's
 * vectors comparable: a model group whose deployments cross vector spaces, or a {@code fallbacks} entry from one
 * space to another, stops start-up (ConfigException naming both spaces) unless
 * {@code router_settings.allow_cross_space_fallback: true} (or the same key in {@code litellm_settings}).
 *
 * <p>A deployment's space is derived generically, so a new provider needs nothing here:
 * <ul>
 *   <li>{@code model_info.vector_space} when declared (deployments that declare the same name share a space,
 *       whatever their provider or upstream id: e.g. two Azure deployments of one model under different names);</li>
 *   <li>else the provider, the upstream model ({@code model_info.base_model} instead when set, as LiteLLM uses it
 *       for Azure; OpenAI's own models are one space whether OpenAI or Azure OpenAI serves them) and every {@code litellm_params} entry that can change a vector: all of them except the
 *       operational ones ({@link #OPERATIONAL}: endpoints, credentials, regions, limits, timeouts, batching) and any
 *       key naming a secret (…key, …token, …secret, …password, …credential…).</li>
 * </ul>
 * The fingerprint is the SHA-256 of that description; {@link VectorSpace#shortId()} is its first 12 hex digits.
 */
public final class VectorSpaces {

    /** Response header: the short fingerprint of the space (and requested {@code dimensions}) of the vectors. */
    public static final String HEADER = "x-gateway-vector-space";
    /** The opt-out key (router_settings, else litellm_settings). */
    public static final String ALLOW_CROSS_SPACE = "allow_cross_space_fallback";

    /** litellm_params keys that never change a vector. */
    static final Set<String> OPERATIONAL = Set.of("model", "api_base", "base_url", "api_version", "timeout",
            "stream_timeout", "max_retries", "num_retries", "rpm", "tpm", "weight", "order", "max_batch_size",
            "max_parallel_requests", "organization", "region_name", "tags", "mock_response", "headers",
            "extra_headers", "cooldown_time", "max_budget", "budget_duration", "input_cost_per_token",
            "output_cost_per_token", "input_cost_per_second", "output_cost_per_second", "client_id", "tenant_id",
            "azure_username", "azure_scope", "use_in_pass_through", "litellm_credential_name",
            "aws_bedrock_runtime_endpoint", "aws_sagemaker_runtime_endpoint", "endpoint_url");
    private static final List<String> OPERATIONAL_PREFIXES = List.of("aws_", "vertex_location", "vertex_project");
    private static final List<String> SECRET_PARTS = List.of("key", "token", "secret", "password", "credential");

    /**
     * A vector space.
     *
     * @param id          SHA-256 hex of {@code description}
     * @param description what defines it, for messages, e.g. {@code bedrock/amazon.titan-embed-text-v2:0 {normalize=false}}
     *                    or {@code declared 'minilm'}; never holds a secret
     */
    public record VectorSpace(String id, String description) {
        /** The first 12 hex digits of the fingerprint. */
        public String shortId() {
            return id.substring(0, 12);
        }
    }

    private final Map<String, VectorSpace> byDeployment = new LinkedHashMap<>();
    private final Map<String, VectorSpace> byGroup = new LinkedHashMap<>();
    private final Map<String, VectorSpace> byRequestModel = new LinkedHashMap<>();

    private VectorSpaces() {
    }

    /**
     * Derives every deployment's space and checks groups and fallbacks. Throws ConfigException for a crossing
     * unless {@value #ALLOW_CROSS_SPACE} is true.
     */
    public static VectorSpaces of(GatewayConfig config, RouterSettings settings) {
        VectorSpaces s = new VectorSpaces();
        boolean allowed = allowCrossSpace(config);
        ModelRegistry registry = new ModelRegistry(config);
        Map<String, List<Deployment>> groups = new LinkedHashMap<>();
        for (Deployment d : config.deployments()) {
            s.byDeployment.put(d.id(), derive(d));
            groups.computeIfAbsent(d.modelName(), k -> new ArrayList<>()).add(d);
        }
        for (Map.Entry<String, List<Deployment>> g : groups.entrySet()) {
            Deployment first = g.getValue().get(0);
            VectorSpace space = s.byDeployment.get(first.id());
            for (Deployment d : g.getValue()) {
                VectorSpace other = s.byDeployment.get(d.id());
                if (!other.id().equals(space.id())) {
                    if (!allowed) {
                        throw new ConfigException("model group '" + g.getKey() + "' crosses vector spaces: deployment '"
                                + first.id() + "' embeds into " + describe(space) + ", deployment '" + d.id()
                                + "' into " + describe(other) + "; " + HINT);
                    }
                    space = null;
                    break;
                }
            }
            if (space != null) {
                s.byGroup.put(g.getKey(), space);
            }
        }
        for (String group : groups.keySet()) {
            VectorSpace space = s.byGroup.get(group);
            for (String to : settings.fallbacks().getOrDefault(group, List.of())) {
                VectorSpace other = s.byGroup.get(to);
                boolean same = space != null && other != null && space.id().equals(other.id());
                if (!same && !allowed) {
                    throw new ConfigException("fallbacks: model group '" + group + "' (" + describe(space)
                            + ") falls back to '" + to + "' (" + describe(other) + "), another vector space; "
                            + HINT);
                }
                if (!same) {
                    space = null;
                }
            }
            if (space != null && !registry.group(group).isEmpty()) {
                s.byRequestModel.put(group, space);
            }
        }
        return s;
    }

    private static final String HINT = "their vectors cannot be compared. Declare model_info.vector_space with one "
            + "name on deployments that do share a space, or set router_settings." + ALLOW_CROSS_SPACE + ": true";

    private static String describe(VectorSpace v) {
        return v == null ? "several vector spaces" : v.shortId() + " = " + v.description();
    }

    /** Whether {@value #ALLOW_CROSS_SPACE} is true in router_settings, else litellm_settings. */
    static boolean allowCrossSpace(GatewayConfig config) {
        Object v = config.routerSettings().containsKey(ALLOW_CROSS_SPACE)
                ? config.routerSettings().get(ALLOW_CROSS_SPACE) : config.litellmSettings().get(ALLOW_CROSS_SPACE);
        return v != null && Boolean.parseBoolean(v.toString().trim());
    }

    /** The space of a deployment (by {@link Deployment#id()}). */
    public VectorSpace ofDeployment(Deployment d) {
        VectorSpace v = byDeployment.get(d.id());
        return v != null ? v : derive(d);
    }

    /** The one space of a model group, or null when its deployments cross spaces (allowed) or it is unknown. */
    public VectorSpace ofGroup(String modelName) {
        return byGroup.get(modelName);
    }

    /**
     * The space every vector of a request for {@code modelName} is in, whichever deployment or fallback serves it;
     * null when the group or its fallbacks cross spaces (only with {@value #ALLOW_CROSS_SPACE}) or the model is
     * unknown.
     */
    public VectorSpace forRequest(String modelName) {
        return byRequestModel.get(modelName);
    }

    /**
     * The {@value #HEADER} value: 12 hex digits of SHA-256 over the space and the requested {@code dimensions}
     * (null: the model's own), so that vectors with equal values are comparable.
     */
    public static String header(VectorSpace space, Integer dimensions) {
        if (dimensions == null) {
            return space.shortId();
        }
        return sha256(space.id() + "\ndimensions=" + dimensions).substring(0, 12);
    }

    /** The space of {@code d} as the class doc defines it. */
    static VectorSpace derive(Deployment d) {
        Object declared = d.modelInfo().get("vector_space");
        if (declared != null && !declared.toString().isBlank()) {
            String description = "declared '" + declared.toString().trim() + "'";
            return new VectorSpace(sha256(description), description);
        }
        Object base = d.modelInfo().get("base_model");
        String model = base != null && !base.toString().isBlank() ? "base_model " + base.toString().trim()
                : d.provider().prefix() + "/" + d.upstreamModel();
        String openAiModel = openAiModel(d, base);
        if (openAiModel != null) {
            // OpenAI's own model, served by OpenAI or by Azure OpenAI: one space whichever serves it
            model = "openai/" + openAiModel;
        }
        Map<String, String> params = new TreeMap<>();
        d.params().forEach((k, v) -> {
            if (v != null && changesVectors(k)) {
                params.put(k, String.valueOf(v));
            }
        });
        String description = params.isEmpty() ? model : model + " " + params;
        return new VectorSpace(sha256(description), description);
    }

    /** OpenAI's embedding models, which Azure OpenAI serves unchanged. */
    static final Set<String> OPENAI_MODELS = Set.of("text-embedding-3-small", "text-embedding-3-large",
            "text-embedding-ada-002");

    /**
     * The OpenAI model an {@code openai/} or {@code azure/} deployment serves (its upstream id, or for Azure, whose
     * deployment names are the user's own, its {@code base_model} with any provider prefix), or null.
     */
    private static String openAiModel(Deployment d, Object base) {
        if (d.provider() != Provider.OPENAI && d.provider() != Provider.AZURE) {
            return null;
        }
        String name = base != null && !base.toString().isBlank() ? base.toString().trim() : d.upstreamModel();
        String bare = name.substring(name.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        return OPENAI_MODELS.contains(bare) ? bare : null;
    }

    static boolean changesVectors(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (OPERATIONAL.contains(k)) {
            return false;
        }
        for (String p : OPERATIONAL_PREFIXES) {
            if (k.startsWith(p)) {
                return false;
            }
        }
        for (String part : SECRET_PARTS) {
            if (k.contains(part)) {
                return false;
            }
        }
        return true;
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
