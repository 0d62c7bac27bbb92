package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.embeddings.gateway.security.Principal;

/**
 * Who created a file or batch, as stored with it: the {@link Principal}'s kind and, for a virtual key, the SHA-256
 * hex of the key (never the key). A batch's lines run as this principal, so that the key's limits and spend apply
 * to them as to its interactive requests.
 *
 * @param kind    {@code open}, {@code master} or {@code virtual_key}
 * @param keyHash the virtual key's hash, else null
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Owner(String kind, String keyHash) {

    public static final Owner OPEN = new Owner("open", null);

    public static Owner of(Principal p) {
        if (p == null) {
            return OPEN;
        }
        return new Owner(p.kind().name().toLowerCase(java.util.Locale.ROOT), p.keyHash());
    }

    /**
     * The principal the batch's lines run as, without the key's record: the workers replace it with the key as the
     * key store has it when each line runs ({@code KeyAuthenticator.current}).
     */
    public Principal principal() {
        return switch (kind == null ? "open" : kind) {
            case "master" -> Principal.MASTER;
            case "virtual_key" -> new Principal(Principal.Kind.VIRTUAL_KEY, keyHash, null);
            default -> Principal.OPEN;
        };
    }

    /**
     * Whether {@code viewer} may see (and use, cancel, delete) what this owner created: the master key (or an open
     * gateway) sees everything, a virtual key only its own.
     */
    public boolean visibleTo(Principal viewer) {
        if (viewer == null || viewer.isAdmin()) {
            return true;
        }
        return viewer.keyHash() != null && viewer.keyHash().equals(keyHash);
    }
}
