package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure rules of a key (KeyPolicy), key text, durations and prices: no database, no HTTP. */
class KeyPolicyTest {

    static final Instant NOW = Instant.parse("2025-03-10T12:00:30Z");

    static KeyRecord key(List<String> models, BigDecimal maxBudget, Instant expires, boolean blocked) {
        return new KeyRecord("a".repeat(64), "0123456789abcdef01234567", "sk-...abcd", null, null, null, models,
                maxBudget, null, null, BigDecimal.ZERO, null, null, null, expires, "{}", blocked, NOW, NOW);
    }

    @Test
    void blockedAndExpiredKeysAreRefused() {
        assertNull(KeyPolicy.usable(key(List.of(), null, null, false), NOW));
        assertNull(KeyPolicy.usable(key(List.of(), null, NOW.plusSeconds(1), false), NOW));
        GatewayException expired = KeyPolicy.usable(key(List.of(), null, NOW, false), NOW);
        assertEquals(401, expired.status());
        assertTrue(expired.getMessage().startsWith("Authentication Error - Expired Key."), expired.getMessage());
        GatewayException blocked = KeyPolicy.usable(key(List.of(), null, null, true), NOW);
        assertEquals(401, blocked.status());
        assertEquals("invalid_api_key", blocked.code());
    }

    @Test
    void modelAccessNamesTheModelAndNeverTheAllowedList() {
        KeyRecord k = key(List.of("secret-model-a", "secret-model-b"), null, null, false);
        assertNull(KeyPolicy.modelAccess(k, "secret-model-a"));
        GatewayException e = KeyPolicy.modelAccess(k, "other");
        assertEquals(401, e.status());
        assertEquals("key_model_access_denied", e.type());
        assertEquals("model", e.param());
        assertEquals("key not allowed to access model. Tried to access other.", e.getMessage());
        assertNull(KeyPolicy.modelAccess(key(List.of(), null, null, false), "anything"), "empty = all");
        assertNull(KeyPolicy.modelAccess(key(List.of("all-proxy-models"), null, null, false), "anything"));
    }

    @Test
    void budgetIsStrict() {
        BigDecimal max = new BigDecimal("0.00001");
        BigDecimal each = new BigDecimal("0.000002");
        assertNull(KeyPolicy.budget(null, new BigDecimal("99"), each, null), "no budget");
        assertNull(KeyPolicy.budget(max, new BigDecimal("0.000008"), each, null), "exactly reaches it");
        GatewayException over = KeyPolicy.budget(max, new BigDecimal("0.000009"), each, null);
        assertEquals(400, over.status());
        assertEquals("budget_exceeded", over.code());
        assertEquals("budget_exceeded", over.type());
        GatewayException spent = KeyPolicy.budget(max, max, BigDecimal.ZERO, NOW);
        assertEquals("Budget has been exceeded! Current cost: 0.00001, Max budget: 0.00001. Budget resets at: "
                + NOW + ".", spent.getMessage());
    }

    @Test
    void parallelAndRateLimits() {
        assertNull(KeyPolicy.parallel(null, 1000));
        assertNull(KeyPolicy.parallel(2, 1));
        GatewayException p = KeyPolicy.parallel(2, 2);
        assertEquals(429, p.status());
        assertEquals(1, p.retryAfterSeconds());

        assertTrue(KeyPolicy.rate(9, 0, 10L, null, 5).allowed());
        KeyPolicy.RateDecision rpm = KeyPolicy.rate(10, 0, 10L, null, 5);
        assertEquals("requests", rpm.limitType());
        assertTrue(KeyPolicy.rate(0, 95, null, 100L, 5).allowed(), "reaching the tpm limit exactly is allowed");
        KeyPolicy.RateDecision tpm = KeyPolicy.rate(0, 96, null, 100L, 5);
        assertFalse(tpm.allowed());
        assertEquals("tokens", tpm.limitType());
        assertEquals(4, tpm.remaining());
        GatewayException e = KeyPolicy.rateLimited(tpm, 5, Instant.parse("2025-03-10T12:01:00Z"), NOW);
        assertEquals(429, e.status());
        assertEquals(30, e.retryAfterSeconds(), "until the window ends");
    }

    @Test
    void localCountersCountNothingWhenTheyRefuse() {
        LocalRateCounters c = new LocalRateCounters();
        assertTrue(c.acquire("k", 1, 2L, 10L, 4).allowed());
        assertTrue(c.acquire("k", 1, 2L, 10L, 4).allowed());
        assertFalse(c.acquire("k", 1, 2L, 10L, 1).allowed(), "third request in the minute");
        assertTrue(c.acquire("k", 2, 2L, 10L, 4).allowed(), "a new window");
        c.adjustTokens("k", 2, 5);
        assertFalse(c.acquire("k", 2, 5L, 10L, 2).allowed(), "9 + 2 > 10");
        assertTrue(c.acquire("k", 2, 5L, 10L, 1).allowed());
    }

    @Test
    void keyTextHashesAndConstantTimeComparison() {
        String a = KeyText.generate();
        String b = KeyText.generate();
        assertTrue(a.matches("sk-[A-Za-z0-9_-]{43}"), a);
        assertNotEquals(a, b);
        assertEquals(64, KeyText.hash(a).length());
        // SHA-256 of "abc"
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", KeyText.hash("abc"));
        assertTrue(KeyText.sameHash(KeyText.hash(a), KeyText.hash(a)));
        assertFalse(KeyText.sameHash(KeyText.hash(a), KeyText.hash(b)));
        assertFalse(KeyText.sameHash(KeyText.hash(a), KeyText.hash(a).substring(1)));
        assertFalse(KeyText.sameHash(null, KeyText.hash(a)));
        assertTrue(KeyText.looksLikeTokenId(KeyText.newTokenId()));
        assertFalse(KeyText.looksLikeTokenId(KeyText.hash(a)), "a hash is not a token_id");
    }

    @Test
    void durations() {
        Instant t = Instant.parse("2025-01-31T00:00:00Z");
        assertEquals(t.plusSeconds(30), Durations.after(t, "30s"));
        assertEquals(t.plusSeconds(3600), Durations.after(t, "1h"));
        assertEquals(t.plusSeconds(30L * 86400), Durations.after(t, "30d"));
        assertEquals(Instant.parse("2025-02-28T00:00:00Z"), Durations.after(t, "1mo"));
        assertFalse(Durations.valid("0d"));
        assertFalse(Durations.valid("1y"));
        assertFalse(Durations.valid("-1d"));
        assertThrows(IllegalArgumentException.class, () -> Durations.after(t, "soon"));
        // periods stay aligned to when the budget started
        assertEquals(Instant.parse("2025-01-31T03:00:00Z"),
                Durations.nextReset(t, "1h", Instant.parse("2025-01-31T02:30:00Z")));
    }

    @Test
    void pricesFromModelInfoThenTheBuiltInTable() {
        List<Deployment> ds = new ConfigLoader(Map.of("K", "key-12345678")::get).parse("""
                model_list:
                  - model_name: priced
                    litellm_params: {model: azure/dep1, api_base: "http://x", api_key: os.environ/K}
                    model_info: {input_cost_per_token: 0.0000005}
                  - model_name: large
                    litellm_params: {model: azure/dep2, api_base: "http://x", api_key: os.environ/K}
                    model_info: {base_model: text-embedding-3-large}
                  - model_name: titan
                    litellm_params: {model: bedrock/us.amazon.titan-embed-text-v2:0}
                  - model_name: local
                    litellm_params: {model: local/all-minilm-l6-v2}
                  - model_name: unknown
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, api_base: "http://x"}
                """, "test").deployments();
        assertEquals(0, new BigDecimal("0.0000005").compareTo(Pricing.perToken(ds.get(0))));
        assertEquals(0, new BigDecimal("0.00000013").compareTo(Pricing.perToken(ds.get(1))));
        assertEquals(0, new BigDecimal("0.00000002").compareTo(Pricing.perToken(ds.get(2))));
        assertEquals(0, Pricing.perToken(ds.get(3)).signum());
        assertEquals(0, Pricing.perToken(ds.get(4)).signum());
        assertEquals(0, new BigDecimal("0.000001").compareTo(Pricing.cost(Pricing.perToken(ds.get(0)), 2)));
    }
}
