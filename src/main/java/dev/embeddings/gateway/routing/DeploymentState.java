package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.config.Deployment;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterConfig;
import io.github.resilience4j.ratelimiter.internal.AtomicRateLimiter;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The router's live view of one deployment.
 * <ul>
 *   <li>Cooldown = a resilience4j CircuitBreaker: a 60 s time window; once it holds at least {@code allowed_fails}
 *       calls and half of them failed (so {@code allowed_fails} failures in a row do it), the deployment is out for
 *       {@code cooldown_time}; then one half-open probe decides whether it is back. As in LiteLLM, the only
 *       deployment of a group never cools down.</li>
 *   <li>{@code rpm}: a resilience4j RateLimiter of rpm permits per minute, never waiting.</li>
 *   <li>In-flight count and a moving-average latency (for least-busy and latency-based routing).</li>
 * </ul>
 */
final class DeploymentState {

    final Deployment deployment;
    final CircuitBreaker breaker;
    final RateLimiter limiter;
    final AtomicInteger inFlight = new AtomicInteger();
    final double weight;
    /** false for the only deployment of a group: cooling it down would only turn its errors into 429s. */
    final boolean coolsDown;
    private volatile double latencyMs = -1;
    private volatile long openUntilMs;

    DeploymentState(Deployment d, RouterSettings s, boolean coolsDown) {
        this(d, s, coolsDown, () -> { });
    }

    /** {@code onCooldown} runs each time the deployment starts cooling down (its circuit opens). */
    DeploymentState(Deployment d, RouterSettings s, boolean coolsDown, Runnable onCooldown) {
        this.deployment = d;
        this.coolsDown = coolsDown;
        long cooldownMs = Math.max(1, (long) (s.cooldownSeconds() * 1000));
        this.breaker = CircuitBreaker.of(d.id(), CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.TIME_BASED)
                .slidingWindowSize(60)
                .minimumNumberOfCalls(Math.max(1, s.allowedFails()))
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMillis(cooldownMs))
                .permittedNumberOfCallsInHalfOpenState(1)
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> {
            if (e.getStateTransition().getToState() == CircuitBreaker.State.OPEN) {
                openUntilMs = System.currentTimeMillis() + cooldownMs;
                onCooldown.run();
            }
        });
        Double rpm = d.number("rpm");
        this.limiter = rpm == null ? null : RateLimiter.of(d.id(), RateLimiterConfig.custom()
                .limitForPeriod((int) Math.max(1, rpm.intValue()))
                .limitRefreshPeriod(Duration.ofMinutes(1))
                .timeoutDuration(Duration.ZERO)
                .build());
        Double w = d.number("weight");
        if (w == null) {
            w = rpm != null ? rpm : d.number("tpm");
        }
        this.weight = w == null ? 1.0 : w;
    }

    /** Takes a breaker permission (always granted when the deployment does not cool down). */
    boolean tryAcquire() {
        return !coolsDown || breaker.tryAcquirePermission();
    }

    void release() {
        if (coolsDown) {
            breaker.releasePermission();
        }
    }

    void onSuccess(long nanos) {
        if (coolsDown) {
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
        }
    }

    void onError(long nanos, Throwable t) {
        if (coolsDown) {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, t);
        }
    }

    /** Milliseconds until this deployment may be tried again (0 when it may now). */
    long waitMs() {
        long wait = 0;
        if (breaker.getState() == CircuitBreaker.State.OPEN) {
            wait = Math.max(0, openUntilMs - System.currentTimeMillis());
        }
        if (limiter != null && limiter.getMetrics().getAvailablePermissions() <= 0) {
            long nanos = limiter instanceof AtomicRateLimiter a ? a.getDetailedMetrics().getNanosToWait()
                    : TimeUnit.SECONDS.toNanos(1);
            wait = Math.max(wait, nanos / 1_000_000);
        }
        return wait;
    }

    double latencyMs() {
        return latencyMs;
    }

    /** Exponential moving average (alpha 0.3) of successful call latency. */
    synchronized void recordLatency(double ms) {
        latencyMs = latencyMs < 0 ? ms : 0.7 * latencyMs + 0.3 * ms;
    }
}
