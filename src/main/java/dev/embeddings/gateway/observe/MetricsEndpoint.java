package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.openai.HttpRequests;
import dev.embeddings.gateway.security.KeyAuthenticator;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * {@code GET /metrics} (routes/metrics.yaml): the Prometheus scrape. Needs the master key (as every API path does,
 * checked on the headers before anything else by RequestAdmission) unless {@code general_settings.metrics_public:
 * true}, which makes the path public: metrics carry model names, deployment ids and traffic volumes but never a key,
 * a header or input text.
 */
public final class MetricsEndpoint {

    public static final String PATH = "/metrics";
    public static final String BEAN = "metricsEndpoint";

    private final Metrics metrics;
    private final KeyAuthenticator auth;
    private final boolean isPublic;

    public MetricsEndpoint(Metrics metrics, KeyAuthenticator auth, boolean isPublic) {
        this.metrics = metrics;
        this.auth = auth;
        this.isPublic = isPublic;
    }

    /** Whether the scrape needs no key ({@code general_settings.metrics_public}). */
    public boolean isPublic() {
        return isPublic;
    }

    /**
     * Camel entry: unless public, needs the master key (GatewayException 401 without a valid key, 403
     * {@code permission_denied} for a virtual key: the series name every deployment and model); then sets the body to
     * the scrape (Prometheus text 0.0.4, or OpenMetrics when the Accept header asks for it) with its Content-Type.
     */
    public void scrape(Exchange exchange) {
        if (!isPublic) {
            auth.check(exchange);
            if (!exchange.getProperty(dev.embeddings.gateway.security.Principal.PROPERTY,
                    dev.embeddings.gateway.security.Principal.class).isAdmin()) {
                throw dev.embeddings.gateway.openai.GatewayException.masterKeyOnly("/metrics");
            }
        }
        String[] scrape = metrics.scrape(HttpRequests.header(exchange, "Accept"));
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.CONTENT_TYPE, scrape[0]);
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setBody(scrape[1]);
    }
}
