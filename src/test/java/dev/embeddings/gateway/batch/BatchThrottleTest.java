package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.ModelRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The throttle's share of a model's rpm/tpm and its back-off on 429. Only lower bounds on time are asserted (a slow
 * machine can only make them longer).
 */
class BatchThrottleTest {

    static ModelRegistry registry(String params) throws Exception {
        Path f = Files.createTempFile("cfg", ".yaml");
        Files.writeString(f, "model_list:\n"
                + "  - model_name: m\n    litellm_params: {model: azure/a, api_base: http://127.0.0.1:9, api_key: k"
                + params + "}\n"
                + "  - model_name: m\n    litellm_params: {model: azure/b, api_base: http://127.0.0.1:9, api_key: k"
                + params + "}\n"
                + "  - model_name: free\n    litellm_params: {model: azure/c, api_base: http://127.0.0.1:9, api_key: k}\n");
        return new ModelRegistry(new ConfigLoader(name -> null).load(f));
    }

    @Test
    void batchCallsTakeTheirShareOfTheGroupsRpm() throws Exception {
        // two deployments of 600 rpm: 1200 rpm for the group, half kept for interactive: 600 rpm = 10 calls/s
        BatchThrottle t = new BatchThrottle(registry(", rpm: 600"), 0.5, 8, 60_000);
        long t0 = System.nanoTime();
        for (int i = 0; i < 21; i++) {
            t.acquire("m", 1);
            t.release("m", BatchThrottle.Outcome.OK, null, 0);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(s >= 1.9, "21 calls at 10/s take at least 2 s, took " + s);
        // a group without rpm on every deployment is not rate limited
        long t1 = System.nanoTime();
        for (int i = 0; i < 200; i++) {
            t.acquire("free", 1);
            t.release("free", BatchThrottle.Outcome.OK, null, 0);
        }
        assertTrue((System.nanoTime() - t1) / 1e9 < 1.9, "no rpm: no wait");
    }

    @Test
    void batchCallsTakeTheirShareOfTheGroupsTpmCountingWhatCallsReallyUsed() throws Exception {
        // 2 x 30,000 tpm = 60,000, 80 % for batches: 800 tokens/s
        BatchThrottle t = new BatchThrottle(registry(", tpm: 30000"), 0.2, 8, 60_000);
        long t0 = System.nanoTime();
        t.acquire("m", 800);
        // the call used 1,600 tokens, not the 800 estimated: the difference is charged too
        t.release("m", BatchThrottle.Outcome.OK, null, 800);
        t.acquire("m", 800);
        t.release("m", BatchThrottle.Outcome.OK, null, 0);
        double s = (System.nanoTime() - t0) / 1e9;
        assertTrue(s >= 1.9, "2,400 tokens at 800/s: the third second's worth waits 2 s, took " + s);
    }

    @Test
    void a429PausesTheModelsBatchCallsForRetryAfterAndHalvesTheirConcurrency() throws Exception {
        BatchThrottle t = new BatchThrottle(registry(""), 0.2, 8, 60_000);
        assertEquals(8, t.concurrency("m"));
        t.acquire("m", 1);
        t.release("m", BatchThrottle.Outcome.RATE_LIMITED, 2, 0);
        assertEquals(4, t.concurrency("m"));
        assertTrue(t.pausedMs("m") > 1500);
        long t0 = System.nanoTime();
        t.acquire("m", 1);
        double waited = (System.nanoTime() - t0) / 1e9;
        assertTrue(waited >= 1.5, "waited out Retry-After: 2, waited " + waited);
        t.release("m", BatchThrottle.Outcome.RATE_LIMITED, null, 0);
        assertEquals(2, t.concurrency("m"));
        // successes let it grow back, one step per window of successes
        for (int i = 0; i < 20; i++) {
            t.acquire("free", 1);
            t.release("free", BatchThrottle.Outcome.OK, null, 0);
        }
        assertEquals(8, t.concurrency("free"), "another group is not affected");
        assertTrue(t.pausedMs("m") > 0, "no Retry-After: a back-off of about a second");
        assertTrue(t.backoffMs(3) >= 6000 && t.backoffMs(3) <= 10000, "1 s doubling per consecutive 429");
    }
}
