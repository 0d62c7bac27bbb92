package dev.embeddings.gateway.security;

/**
 * Who made a request, as authentication established it (exchange property {@value #PROPERTY}).
 *
 * @param kind    {@link Kind#OPEN} when no {@code master_key} is configured, {@link Kind#MASTER} for the master key,
 *                {@link Kind#VIRTUAL_KEY} for a key issued by {@code /key/generate}
 * @param keyHash the SHA-256 hex of a virtual key (never the key itself), else null
 * @param details what the key store knows about a virtual key (its limits, models, team), else null
 */
public record Principal(Kind kind, String keyHash, Object details) {

    /** The exchange property that carries the principal from authentication to the later steps. */
    public static final String PROPERTY = "principal";

    public enum Kind { OPEN, MASTER, VIRTUAL_KEY }

    /** The API is open: no master key configured. */
    public static final Principal OPEN = new Principal(Kind.OPEN, null, null);
    /** The caller presented the master key. */
    public static final Principal MASTER = new Principal(Kind.MASTER, null, null);

    /** Whether this principal may use the admin APIs (only the master key, or an open gateway). */
    public boolean isAdmin() {
        return kind != Kind.VIRTUAL_KEY;
    }
}
