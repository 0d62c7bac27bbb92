package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The shared shape of providers reached over camel-http with a JSON body: {@link #prepare} resolves each
 * deployment's {@link Target} once (URL, key, fixed headers); {@link #request} writes the body for a batch
 * ({@link #body}), the auth and JSON headers ({@code Accept-Encoding: identity}) and the endpoint; {@link #response}
 * checks the status (mapped errors), decodes a compressed answer and parses it ({@link #parse}). A new HTTP provider is
 * a subclass (target, body, parse, limits) plus a {@code templatedRoute} naming its bean.
 */
public abstract class HttpJsonAdapter extends ProviderAdapter {

    /**
     * A deployment's upstream, resolved once.
     *
     * @param url     the upstream URL (camel-http options are added per attempt)
     * @param apiKey  sent as {@code Authorization: Bearer}, or null for none
     * @param headers further fixed headers (e.g. {@code OpenAI-Organization}), never logged
     */
    public record Target(String url, String apiKey, Map<String, String> headers) {
    }

    private static final String BATCH_PROPERTY = "batch";
    protected final Function<String, String> env;
    private final Map<Deployment, Target> targets = new ConcurrentHashMap<>();

    protected HttpJsonAdapter(Provider provider, Function<String, String> env) {
        super(provider);
        this.env = env;
    }

    /** Resolves the deployment's target; throws ConfigException (one line, no secret) for a bad setting. */
    protected abstract Target resolve(Deployment d);

    /** The request body for a batch of the call (UTF-8 JSON). */
    protected abstract byte[] body(Batch batch, EmbeddingCall call);

    /** The upstream's 2xx answer for a batch → BatchResult; GatewayException 502 for anything unreadable. */
    protected abstract BatchResult parse(byte[] body, Batch batch, EmbeddingCall call);

    /** The URL of one call (the target's by default; a provider may pick another path per batch). */
    protected String url(Batch batch, EmbeddingCall call, Target t) {
        return t.url();
    }

    /** The bearer token of a call: the target's key by default (Vertex AI fetches OAuth2 tokens instead). */
    protected String bearer(Deployment d, Target t) {
        return t.apiKey();
    }

    @Override
    public void prepare(Deployment d) {
        targets.put(d, resolve(d));
    }

    /** The deployment's target (resolved now if {@link #prepare} did not run for it). */
    protected Target target(Deployment d) {
        return targets.computeIfAbsent(d, this::resolve);
    }

    /** Camel entry in the split: body = Batch → request bytes, headers, exchange property upstreamEndpoint. */
    public void request(Exchange exchange) {
        EmbeddingCall call = call(exchange);
        Deployment d = call.deployment();
        Target t = target(d);
        Message m = exchange.getMessage();
        Batch batch = m.getBody(Batch.class);
        m.setBody(body(batch, call));
        jsonPost(m);
        String bearer = bearer(d, t);
        if (bearer != null) {
            m.setHeader("Authorization", "Bearer " + bearer);
        }
        t.headers().forEach(m::setHeader);
        exchange.setProperty(BATCH_PROPERTY, batch);
        exchange.setProperty(UPSTREAM_ENDPOINT, httpEndpoint(exchange, d, url(batch, call, t)));
    }

    /** Camel entry in the split: the upstream answer → BatchResult (errors mapped). */
    public BatchResult response(Exchange exchange) {
        byte[] body = httpBody(exchange);
        return parse(body, exchange.getProperty(BATCH_PROPERTY, Batch.class), call(exchange));
    }

    /**
     * The deployment's key: {@code litellm_params.api_key}, else the first of {@code envNames} that is set, else
     * null. Registered for redaction.
     */
    protected String apiKey(Deployment d, String... envNames) {
        String key = d.string("api_key");
        for (String e : envNames) {
            if (blank(key)) {
                key = env.apply(e);
            }
        }
        if (blank(key)) {
            return null;
        }
        UpstreamErrors.addSecret(key.trim());
        return key.trim();
    }

    /**
     * The deployment's {@code api_base}, else the first of {@code envNames} that is set, else {@code dflt} (null:
     * required, ConfigException naming the entry). Must be an http(s) URL; it may carry a query string.
     */
    protected String apiBase(Deployment d, String dflt, String... envNames) {
        String base = d.string("api_base");
        for (String e : envNames) {
            if (blank(base)) {
                base = env.apply(e);
            }
        }
        if (blank(base)) {
            base = dflt;
        }
        String where = "model_list entry '" + d.modelName() + "'";
        if (base == null) {
            throw new ConfigException(where + ": " + d.provider().prefix() + " needs litellm_params.api_base"
                    + (envNames.length > 0 ? " (or " + envNames[0] + ")" : ""));
        }
        base = base.trim();
        String l = base.toLowerCase(Locale.ROOT);
        if (!l.startsWith("http://") && !l.startsWith("https://")) {
            throw new ConfigException(where + ": api_base must be an http:// or https:// URL");
        }
        return base;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper CODEC =
            new com.fasterxml.jackson.databind.ObjectMapper(JsonVectors.FACTORY.copy());

    /** A UTF-8 JSON generator on {@code out} with the fast float writer that can also write JsonNode values. */
    protected static com.fasterxml.jackson.core.JsonGenerator generator(java.io.ByteArrayOutputStream out)
            throws java.io.IOException {
        return CODEC.getFactory().createGenerator(out, com.fasterxml.jackson.core.JsonEncoding.UTF8);
    }

    protected static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
