package dev.embeddings.gateway.routing;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.Exchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * LiteLLM's {@code GET /health} (routes/health.yaml): every deployment gets a one-input embeddings call through its
 * provider route, all at once (a parallel Splitter), with no breaker and no retries; the report lists them in
 * config order. Steps: {@link #probes} → per probe {@link #prepare}, the provider route, {@link #healthy} or
 * {@link #unhealthy} → {@link #report}.
 */
public final class HealthProbes {

    /** Exchange property: the {@code direct:provider-<name>} endpoint of the probed deployment. */
    public static final String PROVIDER_ENDPOINT = "probeEndpoint";
    /** Each probe has this long, whatever the deployment's own timeout says (the provider cuts its call to it). */
    static final long PROBE_DEADLINE_SECONDS = 60;

    /** The outcome of one probe: {@code error} is the client-safe error message, null when healthy. */
    public record Probe(Deployment deployment, String error) {
    }

    private final ModelRegistry registry;

    public HealthProbes(ModelRegistry registry) {
        this.registry = registry;
    }

    /**
     * Camel entry: one probe call per deployment the caller may use (a virtual key: those of its {@code models}),
     * in config order.
     */
    public List<EmbeddingCall> probes(@org.apache.camel.ExchangeProperty(
            dev.embeddings.gateway.security.Principal.PROPERTY) dev.embeddings.gateway.security.Principal caller) {
        return registry.all().stream().filter(d -> caller == null || caller.mayUse(d.modelName()))
                .map(d -> new EmbeddingCall(new EmbeddingRequest(d.modelName(),
                List.of("health check"), null, EncodingFormat.FLOAT, null, null, Map.of()), d)).toList();
    }

    /**
     * Camel entry in the Splitter, body one {@link EmbeddingCall}: sets what a provider route reads (the call, the
     * provider, the deadline) and {@value #PROVIDER_ENDPOINT}; the body becomes the probe request.
     */
    public void prepare(Exchange exchange) {
        EmbeddingCall call = exchange.getMessage().getBody(EmbeddingCall.class);
        call.attachTo(exchange);
        exchange.setProperty(ProviderAdapter.DEADLINE_PROPERTY,
                System.nanoTime() + TimeUnit.SECONDS.toNanos(PROBE_DEADLINE_SECONDS));
        exchange.setProperty(PROVIDER_ENDPOINT, call.deployment().provider().endpoint());
    }

    /** Camel entry after the provider route answered: the probe passed. */
    public Probe healthy(Exchange exchange) {
        return new Probe(exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class).deployment(), null);
    }

    /** Camel entry in doCatch: the probe failed with the error a client would get (mapped, sanitised). */
    public Probe unhealthy(Exchange exchange) {
        Deployment d = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class).deployment();
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        return new Probe(d, ErrorResponder.toGatewayException(t, d).getMessage());
    }

    /**
     * Camel entry: {@code {"healthy_endpoints":[...],"unhealthy_endpoints":[...],"healthy_count","unhealthy_count"}}
     * as UTF-8 JSON, LiteLLM's shape. Entries carry model_name, model, id and api_base (user-info removed), never
     * keys; unhealthy ones also {@code error}.
     */
    public byte[] report(List<Probe> probes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            long healthy = probes.stream().filter(p -> p.error() == null).count();
            for (boolean ok : new boolean[]{true, false}) {
                g.writeArrayFieldStart(ok ? "healthy_endpoints" : "unhealthy_endpoints");
                for (Probe p : probes) {
                    if ((p.error() == null) != ok) {
                        continue;
                    }
                    Deployment d = p.deployment();
                    g.writeStartObject();
                    g.writeStringField("model_name", d.modelName());
                    g.writeStringField("model", d.provider().prefix() + "/" + d.upstreamModel());
                    g.writeStringField("id", d.id());
                    if (d.string("api_base") != null) {
                        g.writeStringField("api_base", UpstreamErrors.redactUrl(d.string("api_base")));
                    }
                    if (!ok) {
                        g.writeStringField("error", p.error());
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeNumberField("healthy_count", healthy);
            g.writeNumberField("unhealthy_count", probes.size() - healthy);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
