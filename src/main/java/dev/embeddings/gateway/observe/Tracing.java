package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.security.Redactor;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Message;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * OpenTelemetry tracing with the OpenTelemetry Java SDK and its OTLP exporter (OTLP/HTTP protobuf, sent with the
 * JDK's HttpClient). Off unless {@code litellm_settings.callbacks} (or {@code success_callback}) lists
 * {@code "otel"}, as in LiteLLM; then configured the standard way, from the {@code OTEL_*} environment variables
 * ({@code OTEL_EXPORTER_OTLP_ENDPOINT} (default {@code http://localhost:4318}),
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, {@code OTEL_EXPORTER_OTLP_HEADERS}, {@code OTEL_SERVICE_NAME}
 * (default {@code embeddings-gateway}), {@code OTEL_RESOURCE_ATTRIBUTES}, {@code OTEL_TRACES_SAMPLER},
 * {@code OTEL_BSP_SCHEDULE_DELAY}...) or the matching {@code otel.*} system properties; LiteLLM's
 * {@code OTEL_ENDPOINT} and {@code OTEL_HEADERS} are read too. Only traces are exported (no OTLP metrics or logs:
 * metrics are at {@code /metrics}).
 *
 * <p>Spans: one SERVER span per HTTP request ({@code embeddings <model group>}), continuing the client's W3C
 * {@code traceparent}, and one CLIENT span per upstream call ({@code embeddings <upstream model>}) whose context is
 * sent upstream as {@code traceparent} on HTTP calls. Attributes follow the gen_ai semantic conventions
 * ({@code gen_ai.operation.name=embeddings}, {@code gen_ai.request.model}, {@code gen_ai.provider.name},
 * {@code gen_ai.usage.input_tokens}) plus {@code http.*}, {@code error.type} and the gateway's
 * {@code gateway.deployment.id}/{@code gateway.model_group}. No input text and no key is ever an attribute.
 */
public final class Tracing {

    /** Tracing off: every method does nothing. */
    public static final Tracing OFF = new Tracing(null, null);

    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<String> DEPLOYMENT = AttributeKey.stringKey("gateway.deployment.id");
    static final AttributeKey<String> MODEL_GROUP = AttributeKey.stringKey("gateway.model_group");
    static final AttributeKey<Long> INPUTS = AttributeKey.longKey("gateway.request.inputs");
    static final AttributeKey<Long> BATCH_INPUTS = AttributeKey.longKey("gateway.batch.inputs");
    static final AttributeKey<Long> UPSTREAM_CALLS = AttributeKey.longKey("gateway.upstream.calls");
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("gateway.request.id");

    /** Environment variables read into the SDK's configuration (besides the process environment itself). */
    private static final List<String> OTEL_VARIABLES = List.of("OTEL_SDK_DISABLED", "OTEL_SERVICE_NAME",
            "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_EXPORTER", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG",
            "OTEL_PROPAGATORS", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
            "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
            "OTEL_EXPORTER_OTLP_COMPRESSION", "OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_MAX_QUEUE_SIZE",
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "OTEL_BSP_EXPORT_TIMEOUT");

    private static final java.util.Set<String> OTEL_CALLBACKS = java.util.Set.of("otel", "opentelemetry");

    private static final TextMapGetter<HttpServerRequest> REQUEST_HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpServerRequest carrier) {
            return carrier.headers().names();
        }

        @Override
        public String get(HttpServerRequest carrier, String key) {
            return carrier == null ? null : carrier.getHeader(key);
        }
    };
    private static final TextMapSetter<Message> MESSAGE_HEADERS = (m, k, v) -> {
        if (m != null) {
            m.setHeader(k, v);
        }
    };

    private final OpenTelemetrySdk sdk;
    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final String endpoint;

    private Tracing(OpenTelemetrySdk sdk, String endpoint) {
        this.sdk = sdk;
        this.endpoint = endpoint;
        this.tracer = sdk == null ? null : sdk.getTracer("dev.embeddings.gateway");
        this.propagator = sdk == null ? null : sdk.getPropagators().getTextMapPropagator();
    }

    /** Whether {@code litellm_settings} asks for the {@code otel} callback. */
    static boolean requested(GatewayConfig config) {
        for (String key : List.of("callbacks", "success_callback", "failure_callback")) {
            Object v = config.litellmSettings().get(key);
            if (v instanceof Collection<?> c ? c.stream().anyMatch(Tracing::isOtel) : isOtel(v)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isOtel(Object v) {
        return v != null && OTEL_CALLBACKS.contains(v.toString().trim().toLowerCase(Locale.ROOT));
    }

    /**
     * Tracing as the config asks: {@link #OFF}, or an SDK exporting spans over OTLP. {@code env} reads environment
     * variables (the process's in production). Throws ConfigException with a one-line message when the OTEL_*
     * settings are invalid (e.g. a protocol this build cannot send).
     */
    public static Tracing create(GatewayConfig config, Function<String, String> env) {
        if (!requested(config)) {
            return OFF;
        }
        Map<String, String> props = new LinkedHashMap<>();
        props.put("otel.service.name", "embeddings-gateway");
        props.put("otel.metrics.exporter", "none");
        props.put("otel.logs.exporter", "none");
        props.put("otel.traces.exporter", "otlp");
        props.put("otel.exporter.otlp.protocol", "http/protobuf");
        String litellmEndpoint = env.apply("OTEL_ENDPOINT");
        if (litellmEndpoint != null && !litellmEndpoint.isBlank()) {
            props.put("otel.exporter.otlp.traces.endpoint", litellmEndpoint.trim());
        }
        String litellmHeaders = env.apply("OTEL_HEADERS");
        if (litellmHeaders != null && !litellmHeaders.isBlank()) {
            props.put("otel.exporter.otlp.headers", litellmHeaders.trim());
        }
        for (String name : OTEL_VARIABLES) {
            String v = env.apply(name);
            if (v != null) {
                props.put(name.toLowerCase(Locale.ROOT).replace('_', '.'), v);
            }
        }
        // header values carry the collector's credentials: never in a log line
        for (String k : List.of("otel.exporter.otlp.headers", "otel.exporter.otlp.traces.headers")) {
            redactHeaderValues(props.get(k));
            redactHeaderValues(System.getProperty(k));
            redactHeaderValues(System.getenv(k.toUpperCase(Locale.ROOT).replace('.', '_')));
        }
        try {
            OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                    .addPropertiesSupplier(() -> props)
                    .disableShutdownHook()
                    .build()
                    .getOpenTelemetrySdk();
            String ep = props.getOrDefault("otel.exporter.otlp.traces.endpoint",
                    props.getOrDefault("otel.exporter.otlp.endpoint", "http://localhost:4318"));
            String sys = System.getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
            return new Tracing(sdk, displayable(sys != null ? sys : ep));
        } catch (RuntimeException e) {
            throw new ConfigException("litellm_settings.callbacks [\"otel\"]: cannot set up OpenTelemetry: "
                    + e.getMessage());
        }
    }

    /** scheme://host:port/path of an endpoint, without user-info or query (for the start-up summary). */
    static String displayable(String endpoint) {
        try {
            java.net.URI u = java.net.URI.create(endpoint.trim());
            return u.getScheme() + "://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "")
                    + (u.getPath() == null ? "" : u.getPath());
        } catch (RuntimeException e) {
            return "(configured endpoint)";
        }
    }

    private static void redactHeaderValues(String headers) {
        if (headers == null) {
            return;
        }
        for (String pair : headers.split(",")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                Redactor.addSecret(pair.substring(eq + 1).trim());
            }
        }
    }

    public boolean enabled() {
        return tracer != null;
    }

    /** Where spans go, for the start-up summary (null when off). */
    public String endpoint() {
        return endpoint;
    }

    /** The SERVER span of a request, child of the client's {@code traceparent} when it sent one. */
    Span startRequest(HttpServerRequest request, RequestRecord r) {
        if (tracer == null) {
            return null;
        }
        Context parent = propagator.extract(Context.root(), request, REQUEST_HEADERS);
        return tracer.spanBuilder(r.method + " " + r.operation).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, r.method).setAttribute(PATH, r.displayPath()).setAttribute(REQUEST_ID, r.requestId)
                .startSpan();
    }

    /** Completes and ends the request's span. */
    void endRequest(RequestRecord r) {
        Span span = r.span;
        if (span == null) {
            return;
        }
        span.setAttribute(STATUS, (long) r.status);
        if ("embeddings".equals(r.operation)) {
            span.setAttribute(OPERATION, "embeddings");
            // the span name stays low-cardinality: a model name only when it is a configured group
            span.updateName(r.modelGroup.isEmpty() ? "embeddings" : "embeddings " + r.modelGroup);
            if (r.model != null) {
                span.setAttribute(REQUEST_MODEL, r.displayModel());
            }
            if (!r.modelGroup.isEmpty()) {
                span.setAttribute(MODEL_GROUP, r.modelGroup);
            }
            if (r.inputs >= 0) {
                span.setAttribute(INPUTS, (long) r.inputs);
            }
            if (r.tokens >= 0) {
                span.setAttribute(INPUT_TOKENS, (long) r.tokens);
            }
            Deployment d = r.deployment;
            if (d != null) {
                span.setAttribute(PROVIDER, GenAi.providerName(d.provider().prefix()));
                span.setAttribute(DEPLOYMENT, d.id());
            }
            span.setAttribute(UPSTREAM_CALLS, (long) r.upstreamCalls());
        }
        if (r.errorCode != null) {
            span.setAttribute(ERROR_TYPE, r.errorCode);
        }
        if (r.status >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /**
     * A CLIENT span for one upstream call of deployment {@code d}, child of the request's span (a root span for
     * calls outside an HTTP request, e.g. the Kafka pipeline); its context goes out on {@code message} as
     * {@code traceparent}/{@code tracestate} headers (sent by camel-http; other transports ignore them).
     */
    Span startUpstream(RequestRecord r, Deployment d, int batchInputs, Message message) {
        if (tracer == null) {
            return null;
        }
        var b = tracer.spanBuilder("embeddings " + d.upstreamModel()).setSpanKind(SpanKind.CLIENT)
                .setAttribute(OPERATION, "embeddings").setAttribute(REQUEST_MODEL, d.upstreamModel())
                .setAttribute(PROVIDER, GenAi.providerName(d.provider().prefix())).setAttribute(DEPLOYMENT, d.id())
                .setAttribute(MODEL_GROUP, d.modelName());
        if (batchInputs >= 0) {
            b.setAttribute(BATCH_INPUTS, (long) batchInputs);
        }
        if (r != null && r.span != null) {
            b.setParent(Context.root().with(r.span));
        } else {
            b.setNoParent();
        }
        Span span = b.startSpan();
        propagator.inject(Context.root().with(span), message, MESSAGE_HEADERS);
        return span;
    }

    /** Ends an upstream call's span with its outcome ("2xx", "4xx", "5xx", "error") and HTTP status if any. */
    void endUpstream(Span span, String status, Integer httpStatus, Throwable error) {
        if (span == null) {
            return;
        }
        if (httpStatus != null) {
            span.setAttribute(STATUS, (long) httpStatus);
        }
        if (!"2xx".equals(status)) {
            span.setStatus(StatusCode.ERROR);
            span.setAttribute(ERROR_TYPE, error != null ? error.getClass().getSimpleName()
                    : httpStatus != null ? String.valueOf(httpStatus) : status);
        }
        span.end();
    }

    /** Flushes the spans not yet exported and stops the exporter. */
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
        }
    }
}
