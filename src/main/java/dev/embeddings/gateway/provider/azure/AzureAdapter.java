package dev.embeddings.gateway.provider.azure;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.InputLimits;
import dev.embeddings.gateway.provider.Urls;
import dev.embeddings.gateway.provider.OpenAiFormat;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Azure OpenAI ({@code azure/<deployment>}), over camel-http.
 * <ul>
 *   <li>URL: {@code POST {api_base}/openai/deployments/{deployment}/embeddings?api-version={api_version}}; an
 *       {@code api_base} that already contains {@code /openai/deployments/} is the full base.</li>
 *   <li>Auth: {@code api_key} as the {@code api-key} header, or {@code azure_ad_token} as
 *       {@code Authorization: Bearer}.</li>
 *   <li>{@code api_version}: config, else {@code AZURE_API_VERSION}, else {@value #DEFAULT_API_VERSION}.</li>
 *   <li>Body: {@code input} (texts or token ids as they are), {@code dimensions}, {@code user}, and
 *       {@code encoding_format: base64} whatever the client asked ({@code litellm_params.encoding_format: float}
 *       to ask for float text; see {@link OpenAiFormat}). Upstream usage is kept.</li>
 *   <li>Batch size 2048, at most 300,000 tokens per call (OpenAI's limits); 8192 tokens per input (cl100k_base),
 *       checked before any call (400 {@code context_length_exceeded}).</li>
 *   <li>An {@code api_base} with a query string keeps it, after the deployment path.</li>
 * </ul>
 */
public final class AzureAdapter extends ProviderAdapter {

    public static final String DEFAULT_API_VERSION = "2024-10-21";
    private static final int BATCH = 2048;

    private final Function<String, String> env;
    private final Map<Deployment, String> endpoints = new ConcurrentHashMap<>();

    public AzureAdapter(Function<String, String> env) {
        super(Provider.AZURE);
        this.env = env;
    }


    @Override
    protected int defaultBatchSize(Deployment d) {
        return BATCH;
    }

    @Override
    protected boolean acceptsTokenIds(Deployment d) {
        return true;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return true;
    }

    /** Builds the deployment's endpoint URI once. Throws ConfigException without api_base or credentials. */
    @Override
    public void prepare(Deployment d) {
        String base = d.string("api_base");
        if (base == null) {
            base = env.apply("AZURE_API_BASE");
        }
        if (base == null || !(base.startsWith("http://") || base.startsWith("https://"))) {
            throw new ConfigException("model_list entry '" + d.modelName()
                    + "': azure needs litellm_params.api_base (https://<resource>.openai.azure.com)");
        }
        if (d.string("api_key") == null && d.string("azure_ad_token") == null && env.apply("AZURE_API_KEY") == null) {
            throw new ConfigException("model_list entry '" + d.modelName()
                    + "': azure needs litellm_params.api_key or azure_ad_token (or AZURE_API_KEY)");
        }
        String version = d.string("api_version");
        if (version == null) {
            version = env.apply("AZURE_API_VERSION");
        }
        if (version == null) {
            version = DEFAULT_API_VERSION;
        }
        OpenAiFormat.upstreamEncoding(d);
        endpoints.put(d, url(base, d.upstreamModel(), version));
        UpstreamErrors.addSecret(env.apply("AZURE_API_KEY"));
    }

    /**
     * The upstream URL for a base, deployment and version: the deployment path goes before a query the base carries
     * ({@code https://r.openai.azure.com?sig=x} → {@code .../openai/deployments/d/embeddings?sig=x&api-version=v}).
     */
    static String url(String apiBase, String deployment, String apiVersion) {
        String base = apiBase.trim();
        String path = Urls.path(base);
        String url;
        if (path.contains("/openai/deployments/")) {
            url = path.replaceAll("/+$", "").endsWith("/embeddings") ? base : Urls.appendPath(base, "embeddings");
        } else {
            url = Urls.appendPath(base, "openai/deployments/" + URLEncoder.encode(deployment, StandardCharsets.UTF_8)
                    + "/embeddings");
        }
        return Urls.withParam(url, "api-version", apiVersion);
    }

    /** OpenAI's embedding models: 8192 tokens per input (cl100k_base). */
    @Override
    protected InputLimits inputLimits(Deployment d) {
        return OPENAI_LIMITS;
    }

    /** OpenAI's limit of 300,000 tokens summed over one request's inputs. */
    @Override
    protected int maxBatchTokens(Deployment d) {
        return OPENAI_REQUEST_TOKENS;
    }

    /** 8192 tokens per input, OpenAI's limit for its embedding models (cl100k_base counts them exactly). */
    public static final InputLimits OPENAI_LIMITS = new InputLimits(0, 8192);
    /** Tokens summed over one request's inputs, OpenAI's documented limit. */
    public static final int OPENAI_REQUEST_TOKENS = 300_000;

    /** Camel entry in the split: body = Batch → JSON request bytes, auth headers, endpoint property. */
    public void request(Exchange exchange) {
        EmbeddingCall call = call(exchange);
        Deployment d = call.deployment();
        Batch batch = exchange.getMessage().getBody(Batch.class);
        Message m = exchange.getMessage();
        m.setBody(OpenAiFormat.request(batch, call.request(), null, true, OpenAiFormat.upstreamEncoding(d)));
        jsonPost(m);
        String key = d.string("api_key") != null ? d.string("api_key") : env.apply("AZURE_API_KEY");
        if (d.string("azure_ad_token") != null) {
            m.setHeader("Authorization", "Bearer " + d.string("azure_ad_token"));
        } else {
            m.setHeader("api-key", key);
        }
        exchange.setProperty(BATCH_PROPERTY, batch);
        exchange.setProperty(UPSTREAM_ENDPOINT, httpEndpoint(exchange, d, endpoints.get(d)));
    }

    /** Camel entry in the split: the upstream answer → BatchResult (errors mapped, data sorted by index). */
    public BatchResult response(Exchange exchange) {
        byte[] body = httpBody(exchange);
        return OpenAiFormat.response(body, exchange.getProperty(BATCH_PROPERTY, Batch.class), displayName());
    }

    private static final String BATCH_PROPERTY = "batch";
}
