package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.security.Redactor;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.message.MapMessage;
import org.apache.logging.log4j.util.StringBuilderFormattable;
import org.slf4j.MDC;

/**
 * The access log: one INFO line per HTTP request, on its own logger {@value #LOGGER} (route it to its own appender,
 * or turn it off with {@code <Logger name="dev.embeddings.gateway.access" level="OFF"/>}), written when the response
 * has been sent. Fields, in this order:
 * <pre>
 * request_id method path status error model deployment provider inputs tokens upstream_calls total_ms upstream_ms
 * overhead_ms client
 * </pre>
 * {@code error} is the OpenAI error {@code code} (its {@code type} when it has no code; {@code -} on success); {@code model} is the model the client asked for;
 * {@code inputs}, {@code tokens} ({@code usage.prompt_tokens} answered) and {@code upstream_calls} are {@code -}
 * where they do not apply; times are milliseconds with two decimals; {@code client} is the peer address. The text
 * form is {@code key=value} pairs (values with spaces or quotes are quoted); with {@code --log-format json} the
 * fields are top-level JSON fields of the line (numbers as numbers). Never a key, a header or input text.
 */
final class AccessLog {

    static final String LOGGER = "dev.embeddings.gateway.access";
    private static final Logger LOG = LogManager.getLogger(LOGGER);

    private AccessLog() {
    }

    static boolean enabled() {
        return LOG.isInfoEnabled();
    }

    static void log(RequestRecord r, long upstreamNanos) {
        if (!LOG.isInfoEnabled()) {
            return;
        }
        Entry e = new Entry();
        e.field("request_id", r.requestId);
        e.field("method", r.method);
        // what the client chose is redacted here (the line skips the event factory's scan, see Redactor.PreRedacted);
        // the request id was checked when it was assigned, configured model names and route paths hold no secret
        e.field("path", r.displayPath());
        e.field("status", r.status);
        e.field("error", r.errorCode == null ? null : Redactor.redact(r.errorCode));
        e.field("model", r.displayModel());
        Deployment d = r.deployment;
        e.field("deployment", d == null ? null : d.id());
        e.field("provider", d == null ? null : d.provider().prefix());
        e.field("inputs", r.inputs >= 0 ? r.inputs : null);
        e.field("tokens", r.tokens >= 0 ? r.tokens : null);
        e.field("upstream_calls", "embeddings".equals(r.operation) ? r.upstreamCalls() : null);
        e.field("total_ms", millis(r.totalNanos));
        e.field("upstream_ms", millis(upstreamNanos));
        e.field("overhead_ms", millis(Math.max(0, r.overheadNanos)));
        e.field("client", r.client);
        String previous = MDC.get(HttpObserver.MDC_KEY);
        MDC.put(HttpObserver.MDC_KEY, r.requestId);
        try {
            LOG.info(e);
        } finally {
            if (previous == null) {
                MDC.remove(HttpObserver.MDC_KEY);
            } else {
                MDC.put(HttpObserver.MDC_KEY, previous);
            }
        }
    }

    /** Milliseconds, rounded to two decimals. */
    static double millis(long nanos) {
        return Math.round(nanos / 10_000.0) / 100.0;
    }

    /**
     * One access-log line: a Log4j MapMessage (so JSON layouts see its fields) printed as {@code key=value} pairs in
     * insertion order (MapMessage itself would sort the keys).
     */
    static final class Entry extends MapMessage<Entry, Object> implements StringBuilderFormattable,
            Redactor.PreRedacted {

        private final String[] keys = new String[16];
        private final Object[] values = new Object[16];
        private int n;
        private boolean filled;

        Entry() {
            super(16);
        }

        Entry field(String key, Object value) {
            keys[n] = key;
            values[n++] = value;
            return this;
        }

        /** The MapMessage's own map, filled on first use (JSON layouts read it; text lines never need it). */
        private synchronized void fill() {
            if (!filled) {
                filled = true;
                for (int i = 0; i < n; i++) {
                    if (values[i] != null) {
                        with(keys[i], values[i]);
                    }
                }
            }
        }

        @Override
        public org.apache.logging.log4j.util.IndexedReadOnlyStringMap getIndexedReadOnlyStringMap() {
            fill();
            return super.getIndexedReadOnlyStringMap();
        }

        @Override
        public java.util.Map<String, Object> getData() {
            fill();
            return super.getData();
        }

        @Override
        public String get(String key) {
            fill();
            return super.get(key);
        }

        @Override
        public String getFormattedMessage() {
            StringBuilder sb = new StringBuilder(256);
            formatTo(sb);
            return sb.toString();
        }

        @Override
        public void formatTo(StringBuilder sb) {
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    sb.append(' ');
                }
                sb.append(keys[i]).append('=');
                appendValue(sb, values[i]);
            }
        }

        @Override
        public String getFormat() {
            return "";
        }

        private static void appendValue(StringBuilder sb, Object v) {
            if (v == null) {
                sb.append('-');
                return;
            }
            String s = v.toString();
            boolean quote = s.isEmpty();
            for (int i = 0; i < s.length() && !quote; i++) {
                char c = s.charAt(i);
                quote = c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 127;
            }
            if (!quote) {
                sb.append(s);
                return;
            }
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < ' ' || c == 127) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
