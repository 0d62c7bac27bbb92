package dev.embeddings.gateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.embeddings.gateway.security.Redactor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a LiteLLM-proxy-style config.yaml.
 *
 * <ul>
 *   <li>{@code model_list}: entries {@code {model_name, litellm_params: {model: "<provider>/<id>", ...}, model_info}};
 *       an entry without {@code litellm_params} carries the same keys at entry level.</li>
 *   <li>Every string {@code os.environ/NAME} is replaced by the environment variable NAME; a missing one throws
 *       ConfigException naming the variable and the entry (never a value).</li>
 *   <li>{@code general_settings.master_key} is the API key; {@code database_url} and
 *       {@code database_connection_pool_limit} configure the database of virtual keys (keys/);
 *       {@code metrics_public} opens {@code /metrics}; other LiteLLM general_settings keys are ignored.</li>
 *   <li>Keys of {@code litellm_params}, {@code general_settings}, {@code litellm_settings} and
 *       {@code router_settings} that neither the gateway nor LiteLLM knows (typos) are warned about once, naming the
 *       key, the entry and the nearest known key ({@link ConfigKeys}).</li>
 *   <li>{@code litellm_settings}, {@code router_settings} and any other top-level key are accepted; the keys that
 *       nothing reads yet are logged once as ignored.</li>
 * </ul>
 * Throws ConfigException (one-line message) on a missing file, bad YAML, an unknown provider prefix or a malformed
 * entry.
 */
public final class ConfigLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);
    private static final String ENV_PREFIX = "os.environ/";
    private static final Set<String> KNOWN_TOP = Set.of("model_list", "general_settings", "litellm_settings",
            "router_settings");
    /** Keys whose os.environ/ values are not secrets (model ids, URLs, versions, regions, projects). */
    private static final Set<String> NOT_SECRET = Set.of("model", "model_name", "api_base", "base_url",
            "api_version", "aws_region_name", "region_name", "vertex_project", "vertex_location", "sagemaker_format",
            "inference_component", "pooling", "id", "mode", "base_model", "host", "port", "namespace");
    /** Entry-level keys that are not litellm_params when an entry has no litellm_params block. */
    private static final Set<String> ENTRY_KEYS = Set.of("model_name", "model_info", "litellm_params");

    private final Function<String, String> env;

    /** A loader reading os.environ/ references from the process environment. */
    public ConfigLoader() {
        this(System::getenv);
    }

    /** A loader reading os.environ/ references through {@code env} (returns null for an unset variable). */
    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public GatewayConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException("config file not found: " + file);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    /** Parses config text; {@code source} names it in messages. */
    public GatewayConfig parse(String text, String source) {
        Object root;
        if (text.isBlank()) {
            text = "{}";
        }
        try {
            root = new ObjectMapper(new YAMLFactory()).readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            String loc = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr();
            throw new ConfigException(source + ": not valid YAML" + loc);
        }
        if (root == null) {
            root = Map.of();
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new ConfigException(source + ": the top level must be a mapping with model_list");
        }
        checkEnvironment(top);
        for (Object key : top.keySet()) {
            if (!KNOWN_TOP.contains(String.valueOf(key))) {
                LOG.info("config: top-level key '{}' is not used by this gateway and is ignored", key);
            }
        }

        Map<String, Object> general = mapping(top.get("general_settings"), "general_settings");
        general = asStringMap(resolve(general, "general_settings"));
        checkKeys("general_settings", general.keySet(), ConfigKeys.GENERAL_USED, ConfigKeys.GENERAL_KNOWN);
        Object mk = general.get("master_key");
        String masterKey = mk == null ? null : mk.toString();
        if (masterKey != null && masterKey.isBlank()) {
            throw new ConfigException("general_settings.master_key is empty");
        }
        Map<String, Object> litellm = asStringMap(resolve(mapping(top.get("litellm_settings"), "litellm_settings"),
                "litellm_settings"));
        Map<String, Object> router = asStringMap(resolve(mapping(top.get("router_settings"), "router_settings"),
                "router_settings"));
        checkKeys("litellm_settings", litellm.keySet(), ConfigKeys.SETTINGS_USED, ConfigKeys.SETTINGS_KNOWN);
        checkKeys("router_settings", router.keySet(), ConfigKeys.SETTINGS_USED, ConfigKeys.SETTINGS_KNOWN);

        Object list = top.get("model_list");
        if (list == null) {
            list = List.of();
        }
        if (!(list instanceof List<?> entries)) {
            throw new ConfigException(source + ": model_list must be a list");
        }
        List<Deployment> deployments = new ArrayList<>();
        Map<String, String> skipped = new LinkedHashMap<>();
        for (int i = 0; i < entries.size(); i++) {
            Deployment d = entry(entries.get(i), i, skipped);
            if (d != null) {
                deployments.add(d);
            }
        }
        if (!skipped.isEmpty()) {
            LOG.info("config: {} model_list entries have no embeddings here and are skipped: {}", skipped.size(),
                    skipped.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")")
                            .collect(java.util.stream.Collectors.joining(", ")));
        }
        Set<String> served = new java.util.HashSet<>();
        deployments.forEach(d -> served.add(d.modelName()));
        litellm = withoutSkippedFallbacks(litellm, "litellm_settings", served);
        router = withoutSkippedFallbacks(router, "router_settings", served);
        Set<String> ids = new java.util.HashSet<>();
        for (Deployment d : deployments) {
            if (!ids.add(d.id())) {
                throw new ConfigException("model_list entry '" + d.modelName() + "': model_info.id '" + d.id()
                        + "' is used twice");
            }
        }
        if (deployments.isEmpty()) {
            LOG.warn("config: model_list is empty; every embeddings request will get 404");
        }
        return new GatewayConfig(List.copyOf(deployments), masterKey, litellm, router, general);
    }

    /**
     * One model_list entry as a Deployment, or null when it has no embeddings here: then {@code skipped} gets
     * "model_name → reason". Throws ConfigException for a malformed entry, or one that says
     * {@code model_info.mode: embedding} with a provider the gateway has no embeddings for.
     */
    private Deployment entry(Object raw, int index, Map<String, String> skipped) {
        String where = "model_list[" + index + "]";
        if (!(raw instanceof Map<?, ?> m)) {
            throw new ConfigException(where + ": an entry must be a mapping with model_name and litellm_params");
        }
        Object name = m.get("model_name");
        if (!(name instanceof String modelName) || modelName.isBlank()) {
            throw new ConfigException(where + ": model_name is missing or not a string");
        }
        where = "model_list entry '" + modelName + "'";
        Map<String, Object> params;
        if (m.containsKey("litellm_params")) {
            params = mapping(m.get("litellm_params"), where + " litellm_params");
        } else {
            params = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!ENTRY_KEYS.contains(String.valueOf(e.getKey()))) {
                    params.put(String.valueOf(e.getKey()), e.getValue());
                }
            }
        }
        params = asStringMap(resolve(params, where));
        Map<String, Object> modelInfo = asStringMap(resolve(mapping(m.get("model_info"), where + " model_info"),
                where));
        Object model = params.get("model");
        if (!(model instanceof String ms) || ms.isBlank()) {
            throw new ConfigException(where + ": litellm_params.model is missing (expected \"<provider>/<model id>\")");
        }
        ms = ms.trim();
        int slash = ms.indexOf('/');
        String prefix;
        String upstream;
        Object custom = params.get("custom_llm_provider");
        if (custom instanceof String c && !c.isBlank()) {
            // LiteLLM: the provider named apart, the whole model string is the upstream id
            prefix = c.trim();
            upstream = slash > 0 && Provider.find(ms.substring(0, slash)) != null
                    && Provider.find(ms.substring(0, slash)) == Provider.find(prefix) ? ms.substring(slash + 1) : ms;
        } else if (slash < 0) {
            // LiteLLM's bare names (text-embedding-3-small, gpt-4o) are OpenAI's
            prefix = Provider.OPENAI.prefix();
            upstream = ms;
        } else {
            prefix = ms.substring(0, slash);
            upstream = ms.substring(slash + 1);
        }
        if (prefix.isBlank() || upstream.isBlank()) {
            throw new ConfigException(where + ": litellm_params.model '" + ms
                    + "' must be \"<provider>/<model id>\", e.g. bedrock/amazon.titan-embed-text-v1");
        }
        Provider provider = Provider.find(prefix);
        Object mode = modelInfo.get("mode");
        if (provider == null && mode != null && "embedding".equalsIgnoreCase(mode.toString().trim())) {
            throw new ConfigException(where + ": model_info.mode is embedding, but provider '" + prefix
                    + "' has no embeddings in this gateway (supported: " + Provider.known() + ")");
        }
        String skip = provider == null ? "provider '" + prefix + "' has no embeddings here"
                : EmbeddingModels.skipReason(provider, upstream, params, modelInfo);
        if (skip != null) {
            skipped.put(modelName, skip);
            return null;
        }
        checkKeys(where + " litellm_params", params.keySet(), ConfigKeys.PARAMS_USED, ConfigKeys.PARAMS_KNOWN);
        Deployment d = new Deployment(modelName, provider, upstream, params, modelInfo, index);
        Object vectorSize = modelInfo.get("output_vector_size");
        if (vectorSize != null && !(vectorSize instanceof Integer n && n > 0)) {
            throw new ConfigException(where + ": model_info.output_vector_size must be a positive integer");
        }
        // typed keys are checked now so that a malformed value stops start-up, not a request
        for (String k : List.of("timeout", "max_batch_size", "max_parallel_requests", "rpm", "tpm", "weight")) {
            Double v = d.number(k);
            if (v != null && v <= 0) {
                throw new ConfigException(where + ": litellm_params." + k + " must be positive");
            }
        }
        for (String k : List.of("max_batch_size", "max_parallel_requests", "num_retries")) {
            d.integer(k);
            Double v = d.number(k);
            if (v != null && (v < 0 || v != Math.rint(v))) {
                throw new ConfigException(where + ": litellm_params." + k + " must be a whole number");
            }
        }
        return d;
    }

    /**
     * Every {@code os.environ/NAME} of the file whose variable is unset, all reported at once:
     * "environment variables not set: A (model_list entry 'x'), B (general_settings)".
     */
    private void checkEnvironment(Map<?, ?> top) {
        List<String> missing = new ArrayList<>();
        for (Map.Entry<?, ?> e : top.entrySet()) {
            String key = String.valueOf(e.getKey());
            if ("model_list".equals(key) && e.getValue() instanceof List<?> entries) {
                for (int i = 0; i < entries.size(); i++) {
                    Object entry = entries.get(i);
                    Object name = entry instanceof Map<?, ?> m ? m.get("model_name") : null;
                    collectMissing(entry, name instanceof String n ? "model_list entry '" + n + "'"
                            : "model_list[" + i + "]", missing);
                }
            } else {
                collectMissing(e.getValue(), key, missing);
            }
        }
        if (!missing.isEmpty()) {
            throw new ConfigException((missing.size() == 1 ? "environment variable not set: "
                    : "environment variables not set: ") + String.join(", ", missing));
        }
    }

    private void collectMissing(Object value, String where, List<String> out) {
        if (value instanceof String s && s.startsWith(ENV_PREFIX)) {
            String var = s.substring(ENV_PREFIX.length());
            if (env.apply(var) == null) {
                out.add(var + " (" + where + ", as " + ENV_PREFIX + var + ")");
            }
        } else if (value instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectMissing(v, where, out));
        } else if (value instanceof List<?> l) {
            l.forEach(v -> collectMissing(v, where, out));
        }
    }

    private Object resolve(Object value, String where) {
        return resolve(null, value, where);
    }

    /**
     * Replaces {@code os.environ/NAME} strings below {@code value} and registers every configured secret with the
     * {@link Redactor}: values of secret-named keys, secrets inside URLs, and {@code os.environ/} values (of 8
     * characters or more, except under keys that never hold secrets such as {@code model} or {@code api_base}).
     */
    private Object resolve(String key, Object value, String where) {
        if (value instanceof String s) {
            String v = s;
            if (s.startsWith(ENV_PREFIX)) {
                String var = s.substring(ENV_PREFIX.length());
                v = env.apply(var);
                if (v == null) {
                    throw new ConfigException(where + ": environment variable " + var + " is not set (referenced as "
                            + ENV_PREFIX + var + ")");
                }
                if (v.length() >= 8 && !v.contains("://") && !notSecret(key, v)) {
                    Redactor.addSecret(v);
                }
            }
            Redactor.addConfigured(key, v);
            return v;
        }
        if (value instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                out.put(k, resolve(k, e.getValue(), where));
            }
            return out;
        }
        if (value instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object o : l) {
                out.add(resolve(key, o, where));
            }
            return out;
        }
        return value;
    }

    /**
     * Whether an {@code os.environ/} value is plainly not a secret: under a key that never holds one (model ids,
     * URLs, versions, regions, hosts, ports), or a number, boolean, IP address or host:port.
     */
    static boolean notSecret(String key, String value) {
        if (key != null) {
            String k = key.toLowerCase(java.util.Locale.ROOT);
            if (NOT_SECRET.contains(k) || k.endsWith("_host") || k.endsWith("_port") || k.endsWith("_base")
                    || k.endsWith("_region") || k.endsWith("_region_name") || k.endsWith("_version")) {
                return true;
            }
        }
        return value.matches("\\d+(\\.\\d+)?|\\d{1,3}(\\.\\d{1,3}){3}(:\\d+)?|localhost(:\\d+)?")
                || value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false");
    }

    private static Map<String, Object> mapping(Object v, String where) {
        if (v == null) {
            return new LinkedHashMap<>();
        }
        if (!(v instanceof Map<?, ?> m)) {
            throw new ConfigException(where + " must be a mapping");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        m.forEach((k, val) -> out.put(String.valueOf(k), val));
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asStringMap(Object o) {
        return (Map<String, Object>) o;
    }

    /**
     * Warns once about every key of a section that is neither read by the gateway ({@code used}) nor a LiteLLM
     * setting it knows ({@code known}), naming the key and the section or entry: a typo such as {@code tiemout}
     * must not pass silently. Known LiteLLM keys the gateway does not use are listed at INFO.
     */
    private static void checkKeys(String where, Set<String> present, Set<String> used, Set<String> known) {
        Set<String> unused = new java.util.TreeSet<>();
        for (String k : present) {
            if (used.contains(k)) {
                continue;
            }
            if (known.contains(k)) {
                unused.add(k);
            } else {
                Set<String> all = new java.util.HashSet<>(used);
                all.addAll(known);
                String near = ConfigKeys.suggest(k, all);
                LOG.warn("config: {}: unknown key '{}' is ignored (not a LiteLLM setting this gateway knows{})",
                        where, k, near == null ? "; a typo?" : "; did you mean '" + near + "'?");
            }
        }
        if (!unused.isEmpty()) {
            LOG.info("config: {}: LiteLLM keys {} are accepted and not used by this gateway", where, unused);
        }
    }

    /**
     * The settings with their {@code fallbacks} cut to the groups that are served: a chat model's fallbacks (its
     * entry skipped) are dropped, and so is a skipped group as a fallback target.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutSkippedFallbacks(Map<String, Object> settings, String section,
                                                             Set<String> served) {
        if (!(settings.get("fallbacks") instanceof List<?> list)) {
            return settings;
        }
        List<Object> kept = new ArrayList<>();
        boolean changed = false;
        for (Object item : list) {
            if (!(item instanceof Map<?, ?> m)) {
                kept.add(item);
                continue;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String group = String.valueOf(e.getKey());
                if (!served.contains(group)) {
                    changed = true;
                    continue;
                }
                if (e.getValue() instanceof List<?> targets) {
                    List<Object> t = new ArrayList<>(targets);
                    changed |= t.removeIf(x -> !served.contains(String.valueOf(x)));
                    if (!t.isEmpty()) {
                        out.put(group, t);
                    } else {
                        changed = true;
                    }
                } else {
                    out.put(group, e.getValue());
                }
            }
            if (!out.isEmpty()) {
                kept.add(out);
            }
        }
        if (!changed) {
            return settings;
        }
        LOG.info("config: {}.fallbacks: entries naming skipped (non-embedding) model groups are ignored", section);
        Map<String, Object> copy = new LinkedHashMap<>(settings);
        copy.put("fallbacks", kept);
        return copy;
    }
}
