package dev.embeddings.gateway.openai;

import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP request behind an exchange, as the client sent it. platform-http copies query parameters into the
 * message headers, so {@code ?api-key=...} or {@code ?model=...} would look like headers; credentials and the
 * model of an Azure-style path are read from the real request instead.
 */
public final class HttpRequests {

    private static final Pattern PATH_MODEL = Pattern.compile(
            "^/(?:(?:openai/deployments|engines)/([^/]+)/embeddings|(?:v1/)?models/([^/]+))/?$");

    private HttpRequests() {
    }

    /** The request's header {@code name} (first value), or the message header when there is no HTTP request. */
    public static String header(Exchange exchange, String name) {
        HttpServerRequest request = request(exchange);
        return request != null ? request.getHeader(name) : exchange.getMessage().getHeader(name, String.class);
    }

    /**
     * Camel entry for the Azure-style, engines and {@code /v1/models/{model}} paths: the model (deployment) named in
     * the URL path, decoded, or null.
     */
    public static String pathModel(Exchange exchange) {
        HttpServerRequest request = request(exchange);
        if (request == null) {
            return null;
        }
        Matcher m = PATH_MODEL.matcher(request.path());
        if (!m.matches()) {
            return null;
        }
        String raw = m.group(1) != null ? m.group(1) : m.group(2);
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static HttpServerRequest request(Exchange exchange) {
        return exchange.getMessage() instanceof HttpMessage hm ? hm.getRequest() : null;
    }
}
