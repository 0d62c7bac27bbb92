package dev.embeddings.gateway.observe;

import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The facade other packages register their meters through: names, label sets, values at scrape time. */
class MetricsFacadeTest {

    @Test
    void countersGaugesAndTotalsKeptElsewhereAppearUnderThePrefix() throws Exception {
        Metrics metrics = Metrics.create();
        try {
            Metrics.Count stores = metrics.counter("cache.stores", "Vectors stored", "store", "local");
            stores.increment();
            stores.add(2);
            AtomicLong hits = new AtomicLong(41);
            metrics.countFrom("cache.hits", "Inputs answered from the cache", hits::get, "store", "local");
            hits.incrementAndGet();
            AtomicLong size = new AtomicLong(7);
            metrics.gauge("cache.entries", "Entries held", size::get, "store", "local");
            metrics.rateLimited("key", "tpm", "embed", "");
            metrics.rateLimited("key", "tpm", "embed", "");

            Scrape s = new Scrape(metrics.scrape(null)[1]);
            assertEquals(3.0, s.counter("embeddings_gateway_cache_stores_total", "store", "local"));
            assertEquals(42.0, s.counter("embeddings_gateway_cache_hits_total", "store", "local"));
            assertEquals(7.0, s.gauge("embeddings_gateway_cache_entries", "store", "local"));
            assertEquals(2.0, s.counter("embeddings_gateway_rate_limit_rejections_total", "scope", "key", "limit", "tpm",
                    "model_group", "embed", "deployment", ""));
            assertTrue(metrics.scrape("application/openmetrics-text")[0].startsWith("application/openmetrics-text"));
            assertTrue(metrics.scrape("application/openmetrics-text")[1].trim().endsWith("# EOF"));
        } finally {
            metrics.close();
        }
    }

    @Test
    void theNoopFacadeAcceptsEverythingAndRecordsNothing() {
        Metrics.NOOP.counter("x", "x").increment();
        Metrics.NOOP.rateLimited("key", "rpm", "", "");
        assertEquals("", Metrics.NOOP.scrape(null)[1]);
    }
}
