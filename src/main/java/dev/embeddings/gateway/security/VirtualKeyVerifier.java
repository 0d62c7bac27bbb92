package dev.embeddings.gateway.security;

import java.util.concurrent.CompletionStage;

/**
 * Looks up a presented key that is not the master key (a virtual key issued by {@code /key/generate}).
 * Called on the Vert.x event loop before the request body is read, so it must not block: answer from an in-process
 * cache when it can and complete later (off the event loop) when the store must be asked.
 */
public interface VirtualKeyVerifier {

    /**
     * Completes with the key's principal, or exceptionally with a {@code GatewayException} 401 (unknown, expired,
     * blocked key). {@code presentedKey} is never logged.
     */
    CompletionStage<Principal> verify(String presentedKey);

    /**
     * {@link #verify} for a key known by its SHA-256 hex (as stored with what the key created, e.g. a batch): the
     * same answers, for work that runs later on the key's behalf.
     */
    CompletionStage<Principal> verifyHash(String keyHash);
}
