package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Per-attempt timeouts: the deployment's own, cut to what is left of the request deadline. */
class ProviderAdapterTest {

    static final class Plain extends ProviderAdapter {
        Plain() {
            super(Provider.AZURE);
        }

        @Override
        protected int defaultBatchSize(Deployment d) {
            return 1;
        }
    }

    private static Deployment deployment(Map<String, Object> params) {
        Map<String, Object> p = new HashMap<>(params);
        p.put("model", "azure/x");
        return new Deployment("m", Provider.AZURE, "x", p, Map.of(), 0);
    }

    @Test
    void attemptTimeoutIsTheDeploymentsOwnOrWhatTheDeadlineLeaves() {
        Plain a = new Plain();
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        Deployment d = deployment(Map.of("timeout", 30));
        assertEquals(30_000, a.attemptTimeoutMs(ex, d));
        assertEquals(ProviderAdapter.DEFAULT_TIMEOUT_MS, a.attemptTimeoutMs(ex, deployment(Map.of())));

        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(7_500));
        assertEquals(7_000, a.attemptTimeoutMs(ex, d), "whole seconds, rounded down");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(650));
        assertEquals(600, a.attemptTimeoutMs(ex, d), "tenths under a second");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() - 1);
        assertEquals(100, a.attemptTimeoutMs(ex, d), "never below 100 ms");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.SECONDS.toNanos(100));
        assertEquals(30_000, a.attemptTimeoutMs(ex, d), "the deployment's timeout when the deadline is further");
    }

    @Test
    void httpEndpointCarriesTheAttemptTimeouts() {
        Plain a = new Plain();
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        Deployment d = deployment(Map.of("timeout", 45));
        assertEquals("http://h/p?api-version=1&throwExceptionOnFailure=false&connectTimeout=30000"
                + "&responseTimeout=45000&soTimeout=45000&connectionRequestTimeout=45000",
                a.httpEndpoint(ex, d, "http://h/p?api-version=1"));
        assertEquals("http://h/p?throwExceptionOnFailure=false&connectTimeout=2000&responseTimeout=2000"
                + "&soTimeout=2000&connectionRequestTimeout=2000", a.httpEndpoint(ex, deployment(Map.of("timeout", 2)),
                "http://h/p"));
    }
}
