package dev.embeddings.gateway.batch;

import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.component.platform.http.vertx.HttpMessage;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Query parameters and path segments of the HTTP request behind an exchange, read from the request itself (the
 * message headers mix in the client's headers).
 */
final class HttpParts {

    private HttpParts() {
    }

    static HttpServerRequest request(Exchange exchange) {
        return exchange.getMessage() instanceof HttpMessage hm ? hm.getRequest() : null;
    }

    /** Query parameter {@code name} (first value), or null. */
    static String query(Exchange exchange, String name) {
        HttpServerRequest r = request(exchange);
        return r == null ? exchange.getMessage().getHeader(name, String.class) : r.getParam(name);
    }

    /**
     * The path segment after {@code marker} (e.g. the id in {@code /v1/files/{id}/content} after "files"),
     * URL-decoded, or null.
     */
    static String segmentAfter(Exchange exchange, String marker) {
        HttpServerRequest r = request(exchange);
        if (r == null) {
            return null;
        }
        String[] parts = r.path().split("/");
        for (int i = 0; i + 1 < parts.length; i++) {
            if (parts[i].equals(marker)) {
                return URLDecoder.decode(parts[i + 1].replace("+", "%2B"), StandardCharsets.UTF_8);
            }
        }
        return null;
    }
}
