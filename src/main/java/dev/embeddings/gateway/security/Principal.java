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

    /**
     * What a principal's {@link #details} may restrict: the model groups it may call (a virtual key's
     * {@code models}).
     */
    public interface ModelAccess {
        /** Whether {@code model} (a model group name) may be called. */
        boolean allowsModel(String model);
    }

    /** Whether this principal may call (and see, in {@code /v1/models} and {@code /health}) {@code model}. */
    public boolean mayUse(String model) {
        return !(details instanceof ModelAccess access) || access.allowsModel(model);
    }

    /** Whether this principal may use the admin APIs (only the master key, or an open gateway). */
    public boolean isAdmin() {
        return kind != Kind.VIRTUAL_KEY;
    }
}
