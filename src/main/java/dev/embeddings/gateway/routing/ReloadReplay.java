package dev.embeddings.gateway.routing;

import org.apache.camel.LoggingLevel;
import org.apache.camel.processor.errorhandler.RedeliveryPolicy;

/**
 * The one replay schedule for a request that meets a route being reloaded (ErrorResponder.isRouteStopped): after
 * 50, 100, 200, 400, 800 ms, then every second, 10 replays in all (6.5 s, longer than Camel takes to swap the routes
 * of a file once their shutdown timeout has passed, about 1 s seen under load); then 503 routes_reloading.
 *
 * <p>Used as it is by the HTTP entry routes ({@code replay-on-reload} in routes/errors.yaml refers to the bean
 * {@value #BEAN}) and by the DeploymentRouter for an attempt whose provider route was stopped.
 */
public final class ReloadReplay {

    /** The registry name of {@link #POLICY}. */
    public static final String BEAN = "reloadReplayPolicy";

    /** Camel's redelivery policy with the schedule; read-only once built. */
    public static final RedeliveryPolicy POLICY = new RedeliveryPolicy()
            .maximumRedeliveries(10)
            .redeliveryDelay(50)
            .useExponentialBackOff()
            .backOffMultiplier(2)
            .maximumRedeliveryDelay(1000)
            .retryAttemptedLogLevel(LoggingLevel.INFO)
            .retryAttemptedLogInterval(5);

    private ReloadReplay() {
    }
}
