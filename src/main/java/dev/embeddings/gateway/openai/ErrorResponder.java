package dev.embeddings.gateway.openai;

import dev.embeddings.gateway.provider.JsonVectors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns any failure into the OpenAI error shape {@code {"error":{"message","type","param","code"}}} with the right
 * HTTP status. A {@link GatewayException} gives its own status and fields; anything else is a 500 with a generic
 * message (the cause goes to the log only, never to the client: no stack trace, class name or secret).
 */
public final class ErrorResponder {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorResponder.class);
    private static final JsonFactory JSON = JsonVectors.FACTORY;

    /**
     * Camel entry for {@code onException}: reads {@link Exchange#EXCEPTION_CAUGHT}, replaces the message with the
     * error JSON and status, and drops every other header (so nothing from an upstream leaks back).
     */
    public void respond(Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        GatewayException e = toGatewayException(caught, call == null ? null : call.deployment());
        dev.embeddings.gateway.observe.RequestRecord.failed(exchange, e);
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, e.status());
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        RequestId.echo(exchange);
        if (call != null) {
            m.setHeader("x-gateway-deployment-id", call.deployment().id());
        }
        if (e.retryAfterSeconds() != null) {
            m.setHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
        }
        m.setBody(body(e));
    }

    /**
     * Maps a failure of a call to deployment {@code d} (null when none was chosen) to the error the client sees:
     * upstream failures (timeouts, connection errors, AWS service errors) as UpstreamErrors maps them, else
     * {@link #toGatewayException(Throwable)}.
     */
    public static GatewayException toGatewayException(Throwable caught, Deployment d) {
        GatewayException e = d == null ? null : UpstreamErrors.fromThrowable(d, caught);
        if (e == null) {
            return toGatewayException(caught);
        }
        if (e.status() >= 500) {
            LOG.warn("upstream call failed: {} {} ({})", e.status(), e.getMessage(), d);
        }
        return e;
    }

    /**
     * True when {@code caught} says a route was stopped under the exchange, which happens while a route file is
     * reloaded: Camel keeps a direct: consumer registered until its route has no exchange in flight (or its
     * shutdown timeout passes), and an exchange still inside when the route's steps stop meets a stopped {@code to}
     * or split ({@code IllegalStateException "... has not been started"}). That step never ran, so the request can
     * be replayed on the reloaded route; steps before it run again (a provider's batches that already had their
     * answer are sent again: embedding calls are idempotent). False for a {@link GatewayException} (already
     * mapped: a 503 {@code routes_reloading} from the DeploymentRouter has had its replays).
     */
    public static boolean isRouteStopped(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof GatewayException) {
                return false;
            }
            if (t instanceof IllegalStateException && t.getMessage() != null
                    && t.getMessage().contains("has not been started")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Camel {@code onWhen} of {@code replay-on-reload} (routes/errors.yaml): the exchange's failure is
     * {@link #isRouteStopped a route stopped under it}.
     */
    public boolean isReloadRace(Exchange exchange) {
        Throwable t = exchange.getException();
        return isRouteStopped(t != null ? t : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
    }

    /** Maps a throwable (possibly wrapped by Camel) to the error the client sees. */
    public static GatewayException toGatewayException(Throwable caught) {
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof GatewayException g) {
                if (g.status() >= 500) {
                    LOG.warn("request failed: {} {}", g.status(), g.getMessage());
                }
                return g;
            }
        }
        if (isRouteStopped(caught)) {
            LOG.info("a route stopped under a request while its file was reloaded: {}", caught.getMessage());
            return GatewayException.reloading();
        }
        LOG.error("unexpected failure while serving a request", caught);
        return new GatewayException(500, "internal_error", null, "internal_error",
                "The gateway failed to process the request.");
    }

    /** Writes the OpenAI error object {@code {"message","type","param","code"}} of {@code e} at the generator. */
    public static void writeError(JsonGenerator g, GatewayException e) throws IOException {
        writeError(g, e.getMessage(), e.type(), e.param(), e.code());
    }

    private static void writeError(JsonGenerator g, String message, String type, String param, String code)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("message", message);
        g.writeStringField("type", type);
        g.writeStringField("param", param);
        g.writeStringField("code", code);
        g.writeEndObject();
    }

    /** The OpenAI error body for {@code e}, UTF-8 JSON. */
    public static byte[] body(GatewayException e) {
        return body(e.getMessage(), e.type(), e.param(), e.code());
    }

    /** An OpenAI error body, UTF-8 JSON; null fields are written as JSON null. */
    public static byte[] body(String message, String type, String param, String code) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeFieldName("error");
            writeError(g, message, type, param, code);
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }
}
