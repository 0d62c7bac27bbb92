package dev.embeddings.gateway.openai;

import org.apache.camel.Exchange;

import java.util.UUID;

/**
 * The {@code x-request-id} of a request: the client's own when it sent a sane one (1..128 visible ASCII
 * characters), else a new UUID. Kept in exchange property {@value #PROPERTY}; every response (success or error)
 * carries it back as the {@code x-request-id} header.
 */
public final class RequestId {

    public static final String PROPERTY = "requestId";
    public static final String HEADER = "x-request-id";

    /** Camel entry at the start of the pipeline. */
    public void assign(Exchange exchange) {
        String id = HttpRequests.header(exchange, HEADER);
        if (id == null || id.isEmpty() || id.length() > 128 || !id.chars().allMatch(c -> c > 32 && c < 127)) {
            id = UUID.randomUUID().toString();
        }
        exchange.setProperty(PROPERTY, id);
    }

    /** Puts the request's id on the outgoing message, if one was assigned. */
    public static void echo(Exchange exchange) {
        String id = exchange.getProperty(PROPERTY, String.class);
        if (id != null) {
            exchange.getMessage().setHeader(HEADER, id);
        }
    }
}
