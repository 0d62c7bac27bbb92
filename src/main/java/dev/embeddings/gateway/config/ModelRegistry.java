package dev.embeddings.gateway.config;

import dev.embeddings.gateway.provider.JsonVectors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;

import dev.embeddings.gateway.openai.GatewayException;
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
     * The OpenAI model list {@code {"object":"list","data":[{id, object:"model", created, owned_by}]}}, UTF-8: the
     * model groups {@code visible} accepts, in config order.
     */
    public byte[] modelsJson(java.util.function.Predicate<String> visible) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Map.Entry<String, List<Deployment>> e : groups.entrySet()) {
                if (visible.test(e.getKey())) {
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
     * One model of {@link #modelsJson}, {@code {id, object:"model", created, owned_by}} (UTF-8), for
     * {@code GET /v1/models/{model}}. Throws GatewayException 404 {@code model_not_found} for a name not configured
     * or not accepted by {@code visible}.
     */
    public byte[] modelJson(String modelName, java.util.function.Predicate<String> visible) {
        List<Deployment> group = modelName == null ? null : groups.get(modelName);
        if (group == null || !visible.test(modelName)) {
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
