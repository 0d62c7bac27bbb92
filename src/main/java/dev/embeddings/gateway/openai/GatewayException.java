package dev.embeddings.gateway.openai;

/**
 * A failure that becomes an OpenAI error response: {@code {"error": {"message", "type", "param", "code"}}} with
 * {@link #status()} as HTTP status. The message is client-safe by construction: callers never put a secret, a
 * stack trace or a Java class name into it.
 */
public class GatewayException extends RuntimeException {

    /** Retry-After values are capped at an hour, whatever an upstream said. */
    public static final int MAX_RETRY_AFTER_SECONDS = 3600;

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;

    public GatewayException(int status, String type, String param, String code, String message) {
        this(status, type, param, code, message, null);
    }

    public GatewayException(int status, String type, String param, String code, String message,
                            Integer retryAfterSeconds) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds == null ? null
                : Math.max(0, Math.min(MAX_RETRY_AFTER_SECONDS, retryAfterSeconds));
    }

    /** 400 invalid_request_error about one request field. */
    public static GatewayException invalid(String param, String message) {
        return new GatewayException(400, "invalid_request_error", param, null, message);
    }

    /** 400 invalid_request_error with a machine-readable code. */
    public static GatewayException invalid(String param, String code, String message) {
        return new GatewayException(400, "invalid_request_error", param, code, message);
    }

    /** 401 authentication_error / invalid_api_key. */
    public static GatewayException unauthorized(String message) {
        return new GatewayException(401, "authentication_error", null, "invalid_api_key", message);
    }

    /** 403 permission_error / permission_denied: {@code route} is for the master key only. */
    public static GatewayException masterKeyOnly(String route) {
        return new GatewayException(403, "permission_error", null, "permission_denied",
                "Only the master key can call " + route + ".");
    }

    /** 404 model_not_found, naming the model the client asked for. */
    public static GatewayException modelNotFound(String model) {
        String shown = model.length() > 200 ? model.substring(0, 200) + "…" : model;
        return new GatewayException(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + shown + "' does not exist or you do not have access to it.");
    }

    /** 413 request_too_large. */
    public static GatewayException tooLarge(long limitBytes) {
        return new GatewayException(413, "invalid_request_error", null, "request_too_large",
                "Request body exceeds the limit of " + limitBytes + " bytes.");
    }

    /**
     * 503 api_error / {@code routes_reloading} with {@code Retry-After: 1}: a route the request needed was being
     * reloaded (an edited file in the routes folder) and the request could not be replayed on the new one.
     */
    public static GatewayException reloading() {
        return new GatewayException(503, "api_error", null, ROUTES_RELOADING,
                "The gateway is reloading its routes; retry in a moment.", 1);
    }

    /** The {@code code} of {@link #reloading()}. */
    public static final String ROUTES_RELOADING = "routes_reloading";

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** Seconds for a {@code Retry-After} response header, or null. */
    public Integer retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
