package dev.embeddings.gateway.security;

import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.HttpRequests;
import org.apache.camel.Exchange;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Authenticates a request from its headers alone: {@code Authorization: Bearer <key>} or the Azure SDKs'
 * {@code api-key: <key>} (never query parameters). The LiteLLM {@code master_key} is compared in constant time (over
 * SHA-256 digests, so the length does not leak either); any other key goes to the {@link VirtualKeyVerifier} when
 * one is installed. With no master key configured every call passes as {@link Principal#OPEN}.
 *
 * <p>Used twice per HTTP request: by {@link RequestAdmission} on the Vert.x event loop, before the body is read (an
 * unauthenticated request never has its body buffered), and by the routes' {@code authenticate} step, which puts
 * the {@link Principal} on the exchange.
 */
public final class KeyAuthenticator {

    private final byte[] masterDigest;
    private volatile VirtualKeyVerifier virtualKeys;

    /** {@code masterKey} null or empty = the API is open. */
    public KeyAuthenticator(String masterKey) {
        this.masterDigest = masterKey == null || masterKey.isEmpty() ? null : sha256(masterKey);
    }

    /** Whether a key is required. */
    public boolean enabled() {
        return masterDigest != null;
    }

    /** Installs the verifier for keys other than the master key (virtual keys). */
    public void setVirtualKeys(VirtualKeyVerifier verifier) {
        this.virtualKeys = verifier;
    }

    /**
     * The principal of a request with these header values, without blocking: completes at once for the master key,
     * an open API or a missing/wrong key (exceptionally with GatewayException 401), else as the virtual key verifier
     * answers.
     */
    public CompletionStage<Principal> authenticate(String authorization, String apiKey) {
        if (masterDigest == null) {
            return CompletableFuture.completedFuture(Principal.OPEN);
        }
        String presented = presentedKey(authorization, apiKey);
        if (presented == null) {
            return CompletableFuture.failedFuture(GatewayException.unauthorized(
                    "Missing API key: send 'Authorization: Bearer <key>' or an 'api-key' header."));
        }
        if (MessageDigest.isEqual(masterDigest, sha256(presented))) {
            return CompletableFuture.completedFuture(Principal.MASTER);
        }
        VirtualKeyVerifier v = virtualKeys;
        if (v != null) {
            return v.verify(presented);
        }
        return CompletableFuture.failedFuture(GatewayException.unauthorized("Incorrect API key provided."));
    }

    /**
     * The principal that work done later on {@code owner}'s behalf runs as (a batch's lines), with what the key store
     * says of a virtual key now (its models and budget apply to the work, see {@code KeyLimits.admitTry}). Blocks
     * (not for the event loop). Throws GatewayException 401 when the key no longer exists or is blocked or
     * expired, 503 {@code key_store_unavailable} when it cannot be verified. The master key and an open gateway are
     * returned as they are; on a gateway that no longer requires keys every principal is {@link Principal#OPEN}.
     */
    public Principal current(Principal owner) {
        if (masterDigest == null) {
            return Principal.OPEN;
        }
        if (owner.kind() != Principal.Kind.VIRTUAL_KEY) {
            return owner;
        }
        VirtualKeyVerifier v = virtualKeys;
        if (v == null || owner.keyHash() == null) {
            throw GatewayException.unauthorized("Incorrect API key provided.");
        }
        return await(v.verifyHash(owner.keyHash()));
    }

    /**
     * Camel entry ({@code authenticate} step): sets exchange property {@value Principal#PROPERTY}; throws
     * GatewayException 401 when a key is required and the request has none or a wrong one.
     */
    public void check(Exchange exchange) {
        exchange.setProperty(Principal.PROPERTY, verify(HttpRequests.header(exchange, "Authorization"),
                HttpRequests.header(exchange, "api-key")));
    }

    /** Blocking form of {@link #authenticate}: the principal, or throws GatewayException 401. */
    public Principal verify(String authorization, String apiKey) {
        return await(authenticate(authorization, apiKey));
    }

    private static Principal await(CompletionStage<Principal> pending) {
        try {
            return pending.toCompletableFuture().get();
        } catch (ExecutionException | CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof GatewayException g) {
                throw g;
            }
            throw new IllegalStateException("key verification failed", c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while verifying a key", e);
        }
    }

    /** The key a request presents: the Bearer token, else the {@code api-key} header; null when none. */
    static String presentedKey(String authorization, String apiKey) {
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
        return presented == null || presented.isEmpty() ? null : presented;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
