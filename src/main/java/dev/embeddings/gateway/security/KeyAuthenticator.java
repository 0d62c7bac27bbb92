package dev.embeddings.gateway.security;

import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.HttpRequests;
import org.apache.camel.Exchange;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Checks the LiteLLM {@code master_key}: {@code Authorization: Bearer <key>} or the Azure SDKs' {@code api-key}
 * header. Keys are compared in constant time (over SHA-256 digests, so the length does not leak either).
 * With no master key configured every call passes.
 */
public final class KeyAuthenticator {

    private final byte[] masterDigest;

    /** {@code masterKey} null or empty = the API is open. */
    public KeyAuthenticator(String masterKey) {
        this.masterDigest = masterKey == null || masterKey.isEmpty() ? null : sha256(masterKey);
    }

    public boolean enabled() {
        return masterDigest != null;
    }

    /**
     * Camel entry: throws GatewayException 401 when a key is required and the request has none or a wrong one.
     * Only real request headers count (never query parameters).
     */
    public void check(Exchange exchange) {
        verify(HttpRequests.header(exchange, "Authorization"), HttpRequests.header(exchange, "api-key"));
    }

    /** Throws GatewayException 401 when a key is required and none or a wrong one is presented. */
    public void verify(String authorization, String apiKey) {
        if (masterDigest == null) {
            return;
        }
        String presented = null;
        if (authorization != null) {
            String a = authorization.trim();
            if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
                presented = a.substring(7).trim();
            }
        }
        if (presented == null || presented.isEmpty()) {
            presented = apiKey == null ? null : apiKey.trim();
        }
        if (presented == null || presented.isEmpty()) {
            throw GatewayException.unauthorized("Missing API key: send 'Authorization: Bearer <key>' or an "
                    + "'api-key' header.");
        }
        if (!MessageDigest.isEqual(masterDigest, sha256(presented))) {
            throw GatewayException.unauthorized("Incorrect API key provided.");
        }
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
