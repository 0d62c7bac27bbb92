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
 *   <li>{@code general_settings.master_key} is the API key, {@code metrics_public} opens {@code /metrics}; other
 *       LiteLLM general_settings keys are ignored.</li>
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
        Object mk = general.get("master_key");
        String masterKey = mk == null ? null : mk.toString();
        if (masterKey != null && masterKey.isBlank()) {
            throw new ConfigException("general_settings.master_key is empty");
        }
        Map<String, Object> litellm = asStringMap(resolve(mapping(top.get("litellm_settings"), "litellm_settings"),
                "litellm_settings"));
        Map<String, Object> router = asStringMap(resolve(mapping(top.get("router_settings"), "router_settings"),
                "router_settings"));
        checkKeys("general_settings", general.keySet(), ConfigKeys.GENERAL_IMPLEMENTED, ConfigKeys.GENERAL_LITELLM);
        checkKeys("litellm_settings", litellm.keySet(), ConfigKeys.SETTINGS_IMPLEMENTED, ConfigKeys.SETTINGS_LITELLM);
        checkKeys("router_settings", router.keySet(), ConfigKeys.SETTINGS_IMPLEMENTED, ConfigKeys.SETTINGS_LITELLM);
        Map<String, Object> generalKept = new LinkedHashMap<>(general);
        generalKept.remove("master_key");

        Object list = top.get("model_list");
        if (list == null) {
            list = List.of();
        }
        if (!(list instanceof List<?> entries)) {
            throw new ConfigException(source + ": model_list must be a list");
        }
        List<Deployment> deployments = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            deployments.add(entry(entries.get(i), i));
        }
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
        return new GatewayConfig(List.copyOf(deployments), masterKey, litellm, router, Map.copyOf(generalKept));
    }

    private Deployment entry(Object raw, int index) {
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
        int slash = ms.indexOf('/');
        if (slash <= 0 || slash == ms.length() - 1) {
            throw new ConfigException(where + ": litellm_params.model '" + ms
                    + "' must be \"<provider>/<model id>\", e.g. bedrock/amazon.titan-embed-text-v1");
        }
        Provider provider = Provider.fromPrefix(ms.substring(0, slash), where);
        String upstream = ms.substring(slash + 1);
        Deployment d = new Deployment(modelName, provider, upstream, params, modelInfo, index);
        for (String k : params.keySet()) {
            if (!ConfigKeys.LITELLM_PARAMS.contains(k)) {
                String near = ConfigKeys.suggest(k, ConfigKeys.LITELLM_PARAMS);
                LOG.warn("config: {} ({}): unknown litellm_params key '{}' is ignored{}", where, d.id(), k,
                        near == null ? "" : " (did you mean '" + near + "'?)");
            }
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
                if (v.length() >= 8 && !v.contains("://") && (key == null || !NOT_SECRET.contains(key))) {
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
     * Logs once: the LiteLLM keys of {@code section} that this gateway accepts and ignores (INFO, one line), and each
     * unknown key (WARN, naming it and the nearest known key), e.g. a typo such as {@code tiemout}.
     */
    private static void checkKeys(String section, Set<String> present, Set<String> implemented, Set<String> litellm) {
        Set<String> ignored = new java.util.TreeSet<>();
        for (String k : new java.util.TreeSet<>(present)) {
            if (implemented.contains(k)) {
                continue;
            }
            if (litellm.contains(k)) {
                ignored.add(k);
                continue;
            }
            Set<String> known = new java.util.HashSet<>(implemented);
            known.addAll(litellm);
            String near = ConfigKeys.suggest(k, known);
            LOG.warn("config: unknown {} key '{}' is ignored{}", section, k,
                    near == null ? "" : " (did you mean '" + near + "'?)");
        }
        if (!ignored.isEmpty()) {
            LOG.info("config: {} keys {} are accepted and not implemented yet: ignored", section, ignored);
        }
    }
}
