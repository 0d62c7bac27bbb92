package dev.embeddings.gateway.openai;

import dev.embeddings.gateway.observe.RequestRecord;
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

    /**
     * Camel entry at the start of the pipeline: the id the HTTP observer assigned when the request arrived (so the
     * access log, the MDC and the response agree), else as {@link #sane} decides.
     */
    public void assign(Exchange exchange) {
        RequestRecord record = RequestRecord.of(exchange);
        exchange.setProperty(PROPERTY, record != null ? record.requestId() : sane(HttpRequests.header(exchange, HEADER)));
    }

    /**
     * {@code id} when it is 1..128 visible ASCII characters that the Redactor leaves as they are (it goes into every
     * log line of the request), else a new random UUID.
     */
    public static String sane(String id) {
        if (id == null || id.isEmpty() || id.length() > 128) {
            return UUID.randomUUID().toString();
        }
        for (int i = 0, n = id.length(); i < n; i++) {
            char c = id.charAt(i);
            if (c <= 32 || c >= 127) {
                return UUID.randomUUID().toString();
            }
        }
        return dev.embeddings.gateway.security.Redactor.redact(id).equals(id) ? id : UUID.randomUUID().toString();
    }

    /** Puts the request's id on the outgoing message, if one was assigned. */
    public static void echo(Exchange exchange) {
        String id = exchange.getProperty(PROPERTY, String.class);
        if (id != null) {
            exchange.getMessage().setHeader(HEADER, id);
        }
    }
}
