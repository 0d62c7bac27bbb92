package dev.embeddings.gateway.security;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.Marker;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.config.Property;
import org.apache.logging.log4j.core.impl.DefaultLogEventFactory;
import org.apache.logging.log4j.core.impl.LogEventFactory;
import org.apache.logging.log4j.message.Message;
import org.apache.logging.log4j.message.SimpleMessage;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * Log4j's event factory for the gateway (set by {@code log4j2.component.properties}:
 * {@code log4j2.logEventFactory}): every log event of every logger, at every level, is created with its message
 * passed through {@link Redactor#redact}, before any filter, layout or appender sees it. A thrown exception is
 * rendered (class names, messages, causes and stack frames) into the message and redacted too, since exception
 * messages carry URLs, headers and upstream bodies; the event then carries no separate throwable. A message marked
 * {@link Redactor.PreRedacted} (built from redacted values, e.g. the access log) is passed as it is.
 *
 * <p>This is why it works whatever the log configuration: Camel's tracer ({@code camel.main.tracing=true}) and
 * DEBUG output, Apache HttpClient's wire and header loggers, the AWS SDK, Vert.x and the gateway all log through
 * log4j-core, and log4j-core builds every event here. (Async loggers, which build events elsewhere, are not used.)
 */
public final class RedactingLogEventFactory implements LogEventFactory {

    private final DefaultLogEventFactory delegate = new DefaultLogEventFactory();

    @Override
    public LogEvent createEvent(String loggerName, Marker marker, String fqcn, Level level, Message data,
                                List<Property> properties, Throwable t) {
        return createEvent(loggerName, marker, fqcn, null, level, data, properties, t);
    }

    @Override
    public LogEvent createEvent(String loggerName, Marker marker, String fqcn, StackTraceElement location, Level level,
                                Message data, List<Property> properties, Throwable t) {
        return delegate.createEvent(loggerName, marker, fqcn, location, level, redacted(data, t), properties, null);
    }

    /** The message as it will be printed: the formatted text, then the stack trace, both redacted. */
    static Message redacted(Message data, Throwable t) {
        if (t == null && data instanceof Redactor.PreRedacted && data.getThrowable() == null) {
            return data;
        }
        String text = data == null ? null : data.getFormattedMessage();
        if (t == null && data != null && data.getThrowable() == null) {
            String r = Redactor.redact(text);
            return r == text ? data : new SimpleMessage(r);
        }
        Throwable thrown = t != null ? t : data.getThrowable();
        StringWriter out = new StringWriter(1024);
        if (text != null) {
            out.append(text).append(System.lineSeparator());
        }
        try (PrintWriter w = new PrintWriter(out)) {
            thrown.printStackTrace(w);
        }
        String s = out.toString();
        if (s.endsWith(System.lineSeparator())) {
            s = s.substring(0, s.length() - System.lineSeparator().length());
        }
        return new SimpleMessage(Redactor.redact(s));
    }
}
