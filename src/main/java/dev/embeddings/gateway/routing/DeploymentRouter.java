package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.observe.Metrics;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.provider.UpstreamErrors;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The router of {@code direct:embed}: which deployment serves each attempt, and what happens after a failure.
 * The route holds the loop (Loop EIP with doWhile, Delay EIP for back-off, doTry/doCatch around the provider
 * call); this bean holds the policy:
 * <ul>
 *   <li>{@link #begin}: resolves the model group (404 {@code model_not_found}), sets the request deadline.</li>
 *   <li>{@link #select}: picks a deployment by {@code routing_strategy} among those not cooling down and under
 *       their {@code rpm}, preferring ones that have not failed this request; moves to the next fallback group when
 *       none is left; 429 "no deployments available" with Retry-After when no group has one.</li>
 *   <li>{@link #succeeded}: records success and latency, sets {@code x-gateway-deployment-id} and
 *       {@code x-gateway-model-group}.</li>
 *   <li>{@link #failed}: retryable failures (429, 408/504 timeouts, 5xx, connection errors) are retried up to
 *       {@code num_retries} with exponential back-off plus jitter (at least Retry-After, at most 30 s), then the
 *       fallback groups are tried; 400 (incl. context length) ends the request at once, and an upstream's 401/403/404
 *       (a deployment problem: 502 upstream_authentication_error / upstream_permission_denied, 404) is not retried
 *       but may still fall back. An attempt that met a provider route
 *       being reloaded (503 {@code routes_reloading}) runs again on the {@link ReloadReplay} schedule,
 *       without counting as a retry or against the deployment, then ends the request with that 503. Nothing runs
 *       past the deadline.</li>
 * </ul>
 * Why not Camel's Load Balancer and Circuit Breaker EIPs: both are bound to outputs and one breaker written into
 * the route, while a model group's deployments, their weights and their cooldowns come from config.yaml at run
 * time. So the route keeps the EIPs that fit (Loop, Delay, doTry, content-based router, Splitter/Aggregator)
 * and the per-deployment state uses resilience4j's CircuitBreaker and RateLimiter directly (DeploymentState).
 */
public final class DeploymentRouter {

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentRouter.class);
    /** Exchange property: true while the attempt loop should run again. */
    public static final String PENDING = "attemptPending";
    /** Exchange property: milliseconds the Delay EIP waits before the next attempt. */
    public static final String DELAY = "retryDelayMs";
    /** Exchange property: System.nanoTime() deadline of the whole request, read by adapters for their timeouts. */
    public static final String DEADLINE = dev.embeddings.gateway.provider.ProviderAdapter.DEADLINE_PROPERTY;
    private final java.util.concurrent.atomic.AtomicLong reloadReplays = new java.util.concurrent.atomic.AtomicLong();
    static final long MAX_RETRY_AFTER_MS = 30_000;
    static final long BASE_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 5_000;

    private final ModelRegistry registry;
    private final RouterSettings settings;
    private final Map<String, DeploymentState> states = new LinkedHashMap<>();
    private final Metrics metrics;

    public DeploymentRouter(ModelRegistry registry, RouterSettings settings) {
        this(registry, settings, Metrics.NOOP);
    }

    /** A router that reports retries, fallbacks, cooldowns, rpm refusals and tokens to {@code metrics}. */
    public DeploymentRouter(ModelRegistry registry, RouterSettings settings, Metrics metrics) {
        this.registry = registry;
        this.settings = settings;
        this.metrics = metrics;
        for (Deployment d : registry.all()) {
            states.put(d.id(), new DeploymentState(d, settings, registry.group(d.modelName()).size() > 1,
                    () -> metrics.cooldown(d)));
        }
    }

    public RouterSettings settings() {
        return settings;
    }

    /** Camel entry: body = EmbeddingRequest. Throws GatewayException 404 model_not_found for an unknown model. */
    public void begin(Exchange exchange) {
        EmbeddingRequest request = exchange.getMessage().getBody(EmbeddingRequest.class);
        metrics.embeddingsRequest(exchange, request.model(), !registry.group(request.model()).isEmpty(), request.size());
        if (registry.group(request.model()).isEmpty()) {
            throw GatewayException.modelNotFound(request.model());
        }
        List<String> groups = new ArrayList<>();
        groups.add(request.model());
        for (String g : settings.fallbacks().getOrDefault(request.model(), List.of())) {
            if (!groups.contains(g)) {
                groups.add(g);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.deadlineMs());
        exchange.setProperty(Attempts.PROPERTY, new Attempts(request, groups, deadline));
        exchange.setProperty(DEADLINE, deadline);
        exchange.setProperty(PENDING, true);
        exchange.setProperty(DELAY, 0L);
    }

    /**
     * For a step between {@link #begin} and the attempt loop (the cache lookup): the attempts embed {@code request}
     * instead of the request begin saw (e.g. only the inputs the cache did not have); when it is null, no attempt
     * runs (the loop ends before its first one) and the body is left as it is.
     */
    public static void narrow(Exchange exchange, EmbeddingRequest request) {
        if (request == null) {
            exchange.setProperty(PENDING, false);
            return;
        }
        exchange.getProperty(Attempts.PROPERTY, Attempts.class).request = request;
        exchange.getMessage().setBody(request);
    }

    /**
     * Camel entry at the top of each attempt: sets the body back to the request and the properties
     * {@code embeddingCall} and {@code provider} for the chosen deployment.
     */
    public void select(Exchange exchange) {
        Attempts a = exchange.getProperty(Attempts.PROPERTY, Attempts.class);
        DeploymentState chosen;
        while (true) {
            if (a.remainingMs() <= 0) {
                throw deadlineExceeded(a);
            }
            chosen = pick(a);
            if (chosen != null) {
                break;
            }
            if (a.groupIndex + 1 < a.groups.size()) {
                a.groupIndex++;
                a.retriesUsed = 0;
                a.failed.clear();
                metrics.fallback(a.groups.get(a.groupIndex - 1), a.group());
                continue;
            }
            long wait = Long.MAX_VALUE;
            for (String g : a.groups) {
                for (Deployment d : registry.group(g)) {
                    wait = Math.min(wait, states.get(d.id()).waitMs());
                }
            }
            int retryAfter = (int) Math.max(1, (wait + 999) / 1000);
            throw new GatewayException(429, "rate_limit_error", null, "no_deployments_available",
                    "No deployments available for model '" + a.request.model() + "': every deployment is cooling "
                            + "down or at its rpm limit. Retry after " + retryAfter + " s.", retryAfter);
        }
        a.current = chosen;
        a.attempts++;
        a.startedNanos = System.nanoTime();
        chosen.inFlight.incrementAndGet();
        Deployment d = chosen.deployment;
        metrics.attempt(exchange, d);
        new EmbeddingCall(a.request, d).attachTo(exchange);
    }

    private DeploymentState pick(Attempts a) {
        List<DeploymentState> group = new ArrayList<>();
        for (Deployment d : registry.group(a.group())) {
            group.add(states.get(d.id()));
        }
        List<DeploymentState> fresh = new ArrayList<>(group);
        fresh.removeIf(s -> a.failed.contains(s.deployment.id()));
        List<DeploymentState> candidates = fresh.isEmpty() ? group : fresh;
        while (!candidates.isEmpty()) {
            DeploymentState s = choose(candidates);
            candidates.remove(s);
            if (!s.tryAcquire()) {
                continue;
            }
            if (s.limiter != null && !s.limiter.acquirePermission()) {
                metrics.rateLimited("deployment", "rpm", s.deployment.modelName(), s.deployment.id());
                s.release();
                continue;
            }
            return s;
        }
        return null;
    }

    private DeploymentState choose(List<DeploymentState> c) {
        if (c.size() == 1) {
            return c.get(0);
        }
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        switch (settings.strategy()) {
            case LEAST_BUSY -> {
                int min = c.stream().mapToInt(s -> s.inFlight.get()).min().orElse(0);
                List<DeploymentState> best = c.stream().filter(s -> s.inFlight.get() == min).toList();
                return best.get(rnd.nextInt(best.size()));
            }
            case LATENCY_BASED -> {
                // untried deployments first, then the lowest moving-average latency
                List<DeploymentState> untried = c.stream().filter(s -> s.latencyMs() < 0).toList();
                if (!untried.isEmpty()) {
                    return untried.get(rnd.nextInt(untried.size()));
                }
                DeploymentState best = c.get(0);
                for (DeploymentState s : c) {
                    if (s.latencyMs() < best.latencyMs()) {
                        best = s;
                    }
                }
                return best;
            }
            default -> {
                double total = 0;
                for (DeploymentState s : c) {
                    total += s.weight;
                }
                double r = rnd.nextDouble() * total;
                for (DeploymentState s : c) {
                    r -= s.weight;
                    if (r < 0) {
                        return s;
                    }
                }
                return c.get(c.size() - 1);
            }
        }
    }

    /** Camel entry after a successful provider call. */
    public void succeeded(Exchange exchange) {
        Attempts a = exchange.getProperty(Attempts.PROPERTY, Attempts.class);
        DeploymentState s = a.current;
        long nanos = System.nanoTime() - a.startedNanos;
        s.inFlight.decrementAndGet();
        s.onSuccess(nanos);
        s.recordLatency(nanos / 1e6);
        if (exchange.getMessage().getBody() instanceof EmbeddingResult result) {
            metrics.tokens(s.deployment, result.promptTokens());
        }
        exchange.setProperty(PENDING, false);
        exchange.getMessage().setHeader("x-gateway-deployment-id", s.deployment.id());
        exchange.getMessage().setHeader("x-gateway-model-group", a.group());
        if (a.attempts > 1) {
            exchange.getMessage().setHeader("x-gateway-attempts", a.attempts);
        }
    }

    /**
     * Camel entry in doCatch: decides between another attempt (sets {@value #DELAY}) and giving up (throws the
     * mapped GatewayException, which leaves the loop and the route).
     */
    public void failed(Exchange exchange) {
        Attempts a = exchange.getProperty(Attempts.PROPERTY, Attempts.class);
        DeploymentState s = a.current;
        Deployment d = s.deployment;
        long nanos = System.nanoTime() - a.startedNanos;
        s.inFlight.decrementAndGet();
        Throwable t = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GatewayException g = ErrorResponder.toGatewayException(t, d);
        if (GatewayException.ROUTES_RELOADING.equals(g.code())) {
            // the provider's route file was being reloaded under this attempt: no fault of the deployment's, and no
            // retry used up; the same attempt again once the reloaded route is up
            s.release();
            long delay = ReloadReplay.POLICY.calculateRedeliveryDelay(a.reloadDelayMs, a.reloadReplays + 1);
            if (a.reloadReplays >= ReloadReplay.POLICY.getMaximumRedeliveries() || delay >= a.remainingMs()) {
                throw g;
            }
            a.reloadReplays++;
            a.reloadDelayMs = delay;
            reloadReplays.incrementAndGet();
            exchange.setProperty(DELAY, delay);
            exchange.setProperty(PENDING, true);
            return;
        }
        boolean retryable = isRetryable(g);
        if (retryable) {
            s.onError(nanos, g);
        } else {
            s.release();
        }
        a.failed.add(d.id());
        a.lastError = g;
        if (!retryable && !isDeploymentProblem(g)) {
            throw g;
        }
        long delay;
        Integer perDeployment = d.integer("num_retries");
        int retries = perDeployment != null ? perDeployment : settings.numRetries();
        if (retryable && a.retriesUsed < retries) {
            a.retriesUsed++;
            delay = backoffMs(a.retriesUsed, g.retryAfterSeconds());
            metrics.retry(d);
        } else if (a.groupIndex + 1 < a.groups.size()) {
            a.groupIndex++;
            a.retriesUsed = 0;
            a.failed.clear();
            delay = 0;
            LOG.info("model group '{}' failed ({}), falling back to '{}'", a.groups.get(a.groupIndex - 1),
                    g.status(), a.group());
            metrics.fallback(a.groups.get(a.groupIndex - 1), a.group());
        } else {
            throw g;
        }
        if (delay >= a.remainingMs()) {
            throw g;
        }
        exchange.setProperty(DELAY, delay);
        exchange.setProperty(PENDING, true);
    }

    /** Attempts replayed since start because a provider route was reloaded under them. */
    public long reloadReplays() {
        return reloadReplays.get();
    }

    /**
     * 429, 408, timeouts (504), 5xx and connection errors may succeed on another try; the gateway's own internal
     * errors (500 internal_error) would not, and never count against a deployment.
     */
    static boolean isRetryable(GatewayException g) {
        int s = g.status();
        return s == 429 && !"no_deployments_available".equals(g.code()) || s == 408
                || (s >= 500 && s != 501 && !"internal_error".equals(g.code()) && !isDeploymentProblem(g));
    }

    /**
     * An upstream's 401/403/404 (codes {@code upstream_authentication_error}, {@code upstream_permission_denied},
     * {@code upstream_not_found}) says the deployment is misconfigured: retrying it is pointless, but another group
     * may still serve.
     */
    static boolean isDeploymentProblem(GatewayException g) {
        return UpstreamErrors.UPSTREAM_AUTHENTICATION.equals(g.code()) || UpstreamErrors.UPSTREAM_PERMISSION.equals(
                g.code()) || UpstreamErrors.UPSTREAM_NOT_FOUND.equals(g.code());
    }

    /** base × 2^(n-1) with ±50% jitter, at least {@code retry_after} and the upstream's Retry-After (≤ 30 s). */
    long backoffMs(int retry, Integer retryAfterSeconds) {
        long exp = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS << Math.min(20, retry - 1));
        long delay = (long) (exp * (0.5 + ThreadLocalRandom.current().nextDouble() * 0.5));
        delay = Math.max(delay, (long) (settings.retryAfterSeconds() * 1000));
        if (retryAfterSeconds != null) {
            delay = Math.max(delay, Math.min(MAX_RETRY_AFTER_MS, retryAfterSeconds * 1000L));
        }
        return delay;
    }

    private static GatewayException deadlineExceeded(Attempts a) {
        if (a.lastError != null) {
            return a.lastError;
        }
        return new GatewayException(504, "timeout", null, "deadline_exceeded",
                "The request did not complete within the gateway's deadline.");
    }

    /** The breaker state of a deployment (for tests and diagnostics). */
    public CircuitBreaker.State breakerState(String deploymentId) {
        return states.get(deploymentId).breaker.getState();
    }
}
