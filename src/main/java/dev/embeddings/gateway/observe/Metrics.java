package dev.embeddings.gateway.observe;

import dev.embeddings.gateway.config.Deployment;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * The gateway's metrics, served in Prometheus text format at {@code GET /metrics} (Micrometer's
 * {@link PrometheusMeterRegistry}; one registry per gateway instance, bean {@value #BEAN}).
 *
 * <p><b>For other packages</b> (cache, keys, batches...): register what you count through this facade, never through
 * Micrometer directly, so the names stay consistent and the dependency stays here:
 * <ul>
 *   <li>{@link #counter(String, String, String...)}: a {@link Count} you increment;</li>
 *   <li>{@link #countFrom(String, String, DoubleSupplier, String...)}: a monotonic total your bean already keeps
 *       (e.g. {@code cache::hits}), read at scrape time;</li>
 *   <li>{@link #gauge(String, String, DoubleSupplier, String...)}: a value that goes up and down (sizes, in-flight);</li>
 *   <li>{@link #rateLimited(String, String, String, String)}: a request refused by a limit (rpm, tpm, budget...).</li>
 * </ul>
 * Naming convention: a lower-case dotted name without the prefix ({@code "cache.hits"}) becomes
 * {@code embeddings_gateway_cache_hits_total} (counters get {@code _total}); tags are name/value pairs. Tag values
 * must come from the configuration (model groups, deployment ids, providers) or from a small fixed set the code
 * defines, never from a request (no model name a client typed, no key, no input text): that bounds the number of
 * series and keeps secrets out.
 */
public final class Metrics {

    /** The registry bean name. */
    public static final String BEAN = "metrics";
    /** Every metric name starts with this (Prometheus: {@code embeddings_gateway_}). */
    public static final String PREFIX = "embeddings.gateway.";
    /** A facade that records nothing (for beans built without a gateway, e.g. in unit tests). */
    public static final Metrics NOOP = new Metrics(new CompositeMeterRegistry(), false);

    /** Histogram buckets of request and upstream-call durations: 1 ms to 60 s. */
    static final Duration[] DURATION_BUCKETS = durations(1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000,
            10_000, 30_000, 60_000);
    /** Buckets of the gateway's own overhead: 0.1 ms to 1 s. */
    static final Duration[] OVERHEAD_BUCKETS = durations(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000);
    static final double[] INPUT_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048};
    static final double[] CALL_BUCKETS = {1, 2, 3, 4, 8, 16, 32, 64, 128};

    /** Something counted up by the caller. */
    public interface Count {
        void increment();

        void add(double amount);
    }

    private final MeterRegistry registry;
    /** Meters looked up per request, by a key record (no string building on the hot path). */
    private final ConcurrentHashMap<Object, Object> meters = new ConcurrentHashMap<>();

    /** Cache keys: a meter kind and its label values (deployments by identity: they come from the config). */
    private record Key(String kind, Object a, Object b, Object c, Object d) {
    }
    private JvmGcMetrics gc;

    private Metrics(MeterRegistry registry, boolean jvm) {
        this.registry = registry;
        if (jvm) {
            new JvmMemoryMetrics().bindTo(registry);
            gc = new JvmGcMetrics();
            gc.bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ClassLoaderMetrics().bindTo(registry);
            new JvmInfoMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            new FileDescriptorMetrics().bindTo(registry);
        }
    }

    /** A new registry with the JVM and process metrics bound. */
    public static Metrics create() {
        return new Metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
    }

    /** The Micrometer registry (observe/ only). */
    MeterRegistry registry() {
        return registry;
    }

    /**
     * The scrape: Prometheus text format 0.0.4, or OpenMetrics 1.0 when {@code accept} asks for
     * {@code application/openmetrics-text}. Returns {content type, body}.
     */
    public String[] scrape(String accept) {
        if (!(registry instanceof PrometheusMeterRegistry p)) {
            return new String[] {"text/plain; version=0.0.4; charset=utf-8", ""};
        }
        String type = accept != null && accept.contains("application/openmetrics-text")
                ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                : "text/plain; version=0.0.4; charset=utf-8";
        return new String[] {type, p.scrape(type)};
    }

    /** Releases what the JVM binders hold (the GC listener). */
    public void close() {
        if (gc != null) {
            gc.close();
        }
        registry.close();
    }

    // ---- the facade for other packages ----

    /** A counter {@code embeddings_gateway_<name>_total} with the given tags (name/value pairs). */
    public Count counter(String name, String help, String... tags) {
        Counter c = Counter.builder(PREFIX + name).description(help).tags(tags).register(registry);
        return new Count() {
            @Override
            public void increment() {
                c.increment();
            }

            @Override
            public void add(double amount) {
                c.increment(amount);
            }
        };
    }

    /** A counter read from a monotonic total the caller keeps (e.g. {@code cache::hits}), at scrape time. */
    public void countFrom(String name, String help, DoubleSupplier total, String... tags) {
        FunctionCounter.builder(PREFIX + name, total, DoubleSupplier::getAsDouble).description(help).tags(tags)
                .register(registry);
    }

    /** A gauge {@code embeddings_gateway_<name>} read at scrape time. */
    public void gauge(String name, String help, DoubleSupplier value, String... tags) {
        Gauge.builder(PREFIX + name, value, DoubleSupplier::getAsDouble).description(help).tags(tags)
                .strongReference(true).register(registry);
    }

    /**
     * A request (or, for {@code scope} "deployment", one deployment's turn) refused by a limit:
     * {@code embeddings_gateway_rate_limit_rejections_total{scope, limit, model_group, deployment}}.
     *
     * @param scope      what the limit belongs to: {@code deployment} (litellm_params rpm/tpm), {@code key},
     *                   {@code team}, {@code user}
     * @param limit      {@code rpm}, {@code tpm}, {@code max_parallel_requests}, {@code budget}
     * @param modelGroup a configured model_name, or "" (never a name the client sent that is not configured)
     * @param deployment a configured deployment id, or ""
     */
    public void rateLimited(String scope, String limit, String modelGroup, String deployment) {
        counter("rate.limit.rejections", "Requests refused by an rpm/tpm/budget limit (deployment rpm: a turn "
                + "skipped to another deployment or a 429)", "scope", scope, "limit", limit, "model_group",
                nz(modelGroup), "deployment", nz(deployment)).increment();
    }

    // ---- the gateway's own meters (observe/ and routing/) ----

    /**
     * The router resolved an embeddings request: the model asked ({@code configured}: it names a model group), and
     * its inputs. Goes to the request's access-log line and span; the inputs histogram is labelled with the group
     * only when configured.
     */
    public void embeddingsRequest(org.apache.camel.Exchange exchange, String model, boolean configured, int inputs) {
        RequestRecord r = RequestRecord.of(exchange);
        if (r != null) {
            r.embeddingsRequest(model, configured ? model : null, inputs);
        }
    }

    /** The router chose deployment {@code d} for an attempt (the last one names the request's deployment). */
    public void attempt(org.apache.camel.Exchange exchange, Deployment d) {
        RequestRecord r = RequestRecord.of(exchange);
        if (r != null) {
            r.deployment = d;
        }
    }

    /** A retry of a retryable failure on deployment {@code d} (the next attempt may go to another deployment). */
    public void retry(Deployment d) {
        ((Counter) meters.computeIfAbsent(new Key("retry", d, null, null, null), k -> Counter.builder(PREFIX + "retries")
                .description("Retries after a retryable upstream failure, by the deployment that failed")
                .tags("model_group", d.modelName(), "deployment", d.id(), "provider", d.provider().prefix())
                .register(registry))).increment();
    }

    /** A request moved from model group {@code from} to its fallback {@code to} (both configured names). */
    public void fallback(String from, String to) {
        ((Counter) meters.computeIfAbsent(new Key("fallback", from, to, null, null), k -> Counter.builder(PREFIX + "fallbacks")
                .description("Requests moved to a fallback model group")
                .tags("model_group", from, "fallback_group", to).register(registry))).increment();
    }

    /** Deployment {@code d} started cooling down (its circuit opened). */
    public void cooldown(Deployment d) {
        ((Counter) meters.computeIfAbsent(new Key("cooldown", d, null, null, null), k -> Counter.builder(PREFIX + "cooldowns")
                .description("Times a deployment was taken out of rotation (circuit opened)")
                .tags("model_group", d.modelName(), "deployment", d.id(), "provider", d.provider().prefix())
                .register(registry))).increment();
    }

    /** Prompt tokens of a successful upstream answer of deployment {@code d} (as the upstream counted, else us). */
    public void tokens(Deployment d, long tokens) {
        ((Counter) meters.computeIfAbsent(new Key("tokens", d, null, null, null), k -> Counter.builder(PREFIX + "tokens")
                .description("Prompt tokens sent to each deployment (the upstream's usage, else counted)")
                .tags("model_group", d.modelName(), "deployment", d.id(), "provider", d.provider().prefix())
                .register(registry))).increment(tokens);
    }

    /**
     * One upstream call (a batch: an HTTP request, an SDK call, a local-model run) of deployment {@code d}, ended
     * with {@code status} ("2xx", "4xx", "5xx", or "error" for a timeout or connection failure).
     */
    public void upstreamCall(Deployment d, String status, long nanos) {
        ((Timer) meters.computeIfAbsent(new Key("call", d, status, null, null), k -> Timer.builder(PREFIX
                        + "upstream.call.duration")
                .description("Duration of each upstream call (one batch)")
                .tags("model_group", d.modelName(), "deployment", d.id(), "provider", d.provider().prefix(),
                        "status_class", status)
                .serviceLevelObjectives(DURATION_BUCKETS).register(registry))).record(nanos,
                java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /**
     * One HTTP request ended: {@code requests} counter, request-duration and overhead histograms, and for embeddings
     * requests the inputs and upstream calls per request.
     *
     * @param group       a configured model group or ""
     * @param deployment  the deployment that served or last failed, or null
     * @param statusClass "2xx", "4xx", "5xx"...
     * @param inputs      inputs of the request, or -1 when it was not an embeddings request that got parsed
     * @param calls       upstream calls made for it
     */
    void request(String operation, String group, Deployment deployment, String statusClass, long totalNanos,
                 long overheadNanos, int inputs, int calls) {
        RequestMeters m = (RequestMeters) meters.get(new Key("request", operation, group, deployment, statusClass));
        if (m == null) {
            String dep = deployment == null ? "" : deployment.id();
            String provider = deployment == null ? "" : deployment.provider().prefix();
            m = (RequestMeters) meters.computeIfAbsent(new Key("request", operation, group, deployment, statusClass),
                    k -> new RequestMeters(registry, operation, group, dep, provider, statusClass));
        }
        m.requests.increment();
        m.duration.record(totalNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        m.overhead.record(Math.max(0, overheadNanos), java.util.concurrent.TimeUnit.NANOSECONDS);
        if (inputs >= 0) {
            m.inputs().record(inputs);
            m.calls().record(calls);
        }
    }

    /** The meters of one label set of the request-level metrics. */
    private static final class RequestMeters {
        final Counter requests;
        final Timer duration;
        final Timer overhead;
        private final MeterRegistry registry;
        private final String operation;
        private final String group;
        private volatile DistributionSummary inputs;
        private volatile DistributionSummary calls;

        RequestMeters(MeterRegistry r, String operation, String group, String dep, String provider, String status) {
            this.registry = r;
            this.operation = operation;
            this.group = group;
            requests = Counter.builder(PREFIX + "requests")
                    .description("HTTP requests, by operation, model group, deployment, provider and status class")
                    .tags("operation", operation, "model_group", group, "deployment", dep, "provider", provider,
                            "status_class", status).register(r);
            duration = Timer.builder(PREFIX + "request.duration")
                    .description("Whole-request duration, from the request's headers to the end of the response")
                    .tags("operation", operation, "model_group", group, "status_class", status)
                    .serviceLevelObjectives(DURATION_BUCKETS).register(r);
            overhead = Timer.builder(PREFIX + "overhead")
                    .description("The gateway's own time per request: total minus the time upstream calls were "
                            + "in flight (x-gateway-overhead-ms)")
                    .tags("operation", operation, "model_group", group)
                    .serviceLevelObjectives(OVERHEAD_BUCKETS).register(r);
        }

        DistributionSummary inputs() {
            if (inputs == null) {
                inputs = DistributionSummary.builder(PREFIX + "request.inputs")
                        .description("Inputs per embeddings request").tags("model_group", group)
                        .serviceLevelObjectives(INPUT_BUCKETS).register(registry);
            }
            return inputs;
        }

        DistributionSummary calls() {
            if (calls == null) {
                calls = DistributionSummary.builder(PREFIX + "request.upstream.calls")
                        .description("Upstream calls per embeddings request (batches, fan-out, retries)")
                        .tags("model_group", group).serviceLevelObjectives(CALL_BUCKETS).register(registry);
            }
            return calls;
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static Duration[] durations(double... ms) {
        Duration[] d = new Duration[ms.length];
        for (int i = 0; i < ms.length; i++) {
            d[i] = Duration.ofNanos((long) (ms[i] * 1_000_000));
        }
        return d;
    }
}
