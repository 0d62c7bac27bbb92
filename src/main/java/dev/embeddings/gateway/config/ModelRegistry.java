package dev.embeddings.gateway.config;

import dev.embeddings.gateway.provider.JsonVectors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;

import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Principal;
import org.apache.camel.ExchangeProperty;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model registry: {@code model_name} → its deployments (a group when several entries share a name), built once
 * from config.yaml. The DeploymentRouter picks among a group's deployments.
 */
public final class ModelRegistry {

    /** Exchange property with the chosen deployment's provider prefix, read by the route's {@code choice}. */
    public static final String PROVIDER_PROPERTY = "provider";

    private final Map<String, List<Deployment>> groups = new LinkedHashMap<>();
    private final long created = System.currentTimeMillis() / 1000;

    public ModelRegistry(GatewayConfig config) {
        for (Deployment d : config.deployments()) {
            groups.computeIfAbsent(d.modelName(), k -> new ArrayList<>()).add(d);
        }
        groups.replaceAll((k, v) -> List.copyOf(v));
    }

    /** The deployments of {@code modelName}, or an empty list. */
    public List<Deployment> group(String modelName) {
        return groups.getOrDefault(modelName, List.of());
    }

    /** Every deployment, in config order. */
    public List<Deployment> all() {
        return groups.values().stream().flatMap(List::stream).toList();
    }

    /**
     * Camel entry of {@code GET /v1/models}: the OpenAI model list
     * {@code {"object":"list","data":[{id, object:"model", created, owned_by}]}}, UTF-8, of the model groups the
     * caller may use ({@link Principal#mayUse}: a virtual key only its {@code models}, as LiteLLM lists them), in
     * config order.
     */
    public byte[] modelsJson(@ExchangeProperty(Principal.PROPERTY) Principal caller) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Map.Entry<String, List<Deployment>> e : groups.entrySet()) {
                if (caller == null || caller.mayUse(e.getKey())) {
                    writeModel(g, e.getKey(), e.getValue());
                }
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /**
     * Camel entry of {@code GET /v1/models/{model}}: one model of {@link #modelsJson},
     * {@code {id, object:"model", created, owned_by}} (UTF-8). Throws GatewayException 404 {@code model_not_found}
     * for a name not configured or one the caller may not use (as OpenAI answers a model one may not use).
     */
    public byte[] modelJson(@ExchangeProperty(Principal.PROPERTY) Principal caller,
                            @ExchangeProperty("pathModel") String modelName) {
        List<Deployment> group = modelName == null ? null : groups.get(modelName);
        if (group == null || (caller != null && !caller.mayUse(modelName))) {
            throw GatewayException.modelNotFound(String.valueOf(modelName));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(128);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            writeModel(g, modelName, group);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    private void writeModel(JsonGenerator g, String name, List<Deployment> group) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", name);
        g.writeStringField("object", "model");
        g.writeNumberField("created", created);
        g.writeStringField("owned_by", group.get(0).provider().prefix());
        g.writeEndObject();
    }
}
