package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Redactor;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Maps upstream failures to OpenAI errors, the same way for every provider:
 * <ul>
 *   <li>400/422 → 400 {@code upstream_bad_request}; 404 → 404 {@code upstream_not_found}; 413 → 413</li>
 *   <li>401 → 502 {@code upstream_authentication_error}, 403 → 502 {@code upstream_permission_denied}: the
 *       gateway's own credentials for the provider failed, which the client cannot fix (a 401 would read as "your
 *       gateway key is wrong", which only the gateway's own 401 {@code invalid_api_key} says)</li>
 *   <li>429 or a throttling exception → 429 {@code rate_limit_error}, keeping {@code Retry-After}</li>
 *   <li>408 or a timeout → 504 {@code timeout}</li>
 *   <li>5xx, 424 (the model behind the upstream failed), redirects, connection failures, unparseable bodies → 502
 *       {@code api_error}</li>
 *   <li>an upstream saying the input is too long → 400 {@code context_length_exceeded}, whatever its status (some
 *       OpenAI-compatible servers answer it with a 5xx): never retried</li>
 * </ul>
 * Messages name the provider and the upstream status. The upstream's own text is taken from a JSON error body
 * only; any other body is summarised (content type and size, and for plain text a short excerpt), never echoed.
 * Everything passes the {@link Redactor} and is cut to {@value #MAX_MESSAGE} characters.
 */
public final class UpstreamErrors {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MESSAGE = 300;
    private static final int MAX_EXCERPT = 100;
    private static final Pattern CONTEXT_LENGTH = Pattern.compile(
            "context_length_exceeded|maximum context length|too many input tokens|input is too long"
                    + "|must have less than \\d+ tokens|exceeds the maximum|token limit|too long for"
                    + "|input (?:length|tokens?) (?:exceeds?|is greater than)|exceeds? (?:the )?(?:model's )?"
                    + "(?:maximum )?(?:context|sequence|input) (?:length|window|size)",
            Pattern.CASE_INSENSITIVE);

    private UpstreamErrors() {
    }

    /**
     * The error for an upstream HTTP answer with a non-2xx {@code status}, body of unknown type. {@code body} may be
     * null; {@code retryAfter} is the upstream's Retry-After header (seconds or an HTTP date) or null.
     */
    public static GatewayException fromStatus(String provider, Deployment d, int status, byte[] body,
                                              String retryAfter) {
        return fromStatus(provider, d, status, body, null, retryAfter);
    }

    /**
     * The error for an upstream HTTP answer with a non-2xx {@code status}; {@code contentType} is the answer's
     * Content-Type or null. See the class comment for the mapping.
     */
    public static GatewayException fromStatus(String provider, Deployment d, int status, byte[] body,
                                              String contentType, String retryAfter) {
        String detail = sanitize(describe(body, contentType), d);
        String message = provider + " upstream returned HTTP " + status + (detail.isEmpty() ? "" : ": " + detail);
        if (status != 429 && status != 401 && status != 403 && CONTEXT_LENGTH.matcher(detail).find()) {
            return new GatewayException(400, "invalid_request_error", "input", "context_length_exceeded", message);
        }
        return switch (status) {
            case 400, 422 -> new GatewayException(400, "invalid_request_error", null, "upstream_bad_request", message);
            case 401 -> new GatewayException(502, "api_error", null, UPSTREAM_AUTHENTICATION, message);
            case 403 -> new GatewayException(502, "api_error", null, UPSTREAM_PERMISSION, message);
            case 404 -> new GatewayException(404, "invalid_request_error", "model", UPSTREAM_NOT_FOUND, message);
            case 408 -> timeout(provider, message);
            case 413 -> new GatewayException(413, "invalid_request_error", "input", "request_too_large", message);
            case 429 -> new GatewayException(429, "rate_limit_error", null, "rate_limit_exceeded", message,
                    retryAfterSeconds(retryAfter));
            // 424 Failed Dependency: the model behind the upstream failed (Bedrock's ModelErrorException)
            case 424 -> new GatewayException(502, "api_error", null, "upstream_error", message);
            default -> status >= 500 || status < 400
                    // 5xx, and redirects (never followed: the upstream is the configured one)
                    ? new GatewayException(502, "api_error", null, "upstream_error", message)
                    : new GatewayException(400, "invalid_request_error", null, "upstream_bad_request", message);
        };
    }

    /** The code of an upstream's 401: the gateway's credentials for that provider were refused. */
    public static final String UPSTREAM_AUTHENTICATION = "upstream_authentication_error";
    /** The code of an upstream's 403: the gateway's credentials lack a permission. */
    public static final String UPSTREAM_PERMISSION = "upstream_permission_denied";
    /** The code of an upstream's 404: the configured model, deployment or endpoint does not exist there. */
    public static final String UPSTREAM_NOT_FOUND = "upstream_not_found";

    /** The error for an upstream whose 2xx body could not be read as the provider's documented format. */
    public static GatewayException unparseable(String provider, String what) {
        return new GatewayException(502, "api_error", null, "upstream_bad_response",
                provider + " upstream returned an unreadable response: " + what);
    }

    /** {@link #fromThrowable(String, Deployment, Throwable)} named after the deployment's provider. */
    public static GatewayException fromThrowable(Deployment d, Throwable t) {
        return fromThrowable(d.provider().displayName(), d, t);
    }

    /**
     * The error for a failed call: timeouts → 504, AWS service errors by their status (throttling → 429),
     * connection failures → 502. Returns null when {@code t} is none of these.
     */
    public static GatewayException fromThrowable(String provider, Deployment d, Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof GatewayException g) {
                return g;
            }
            if (c instanceof SocketTimeoutException || c instanceof java.net.http.HttpTimeoutException
                    || c instanceof ApiCallTimeoutException || c instanceof ApiCallAttemptTimeoutException
                    || c instanceof java.util.concurrent.TimeoutException
                    || (c instanceof InterruptedIOException && String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT)
                    .contains("timeout"))
                    || c.getClass().getSimpleName().contains("Timeout")) {
                return timeout(provider, provider + " upstream did not answer in time.");
            }
            if (c instanceof AwsServiceException a) {
                String code = a.awsErrorDetails() == null ? null : a.awsErrorDetails().errorCode();
                String msg = a.awsErrorDetails() == null ? a.getMessage() : a.awsErrorDetails().errorMessage();
                int status = a.statusCode();
                if (a.isThrottlingException() || "ThrottlingException".equals(code)
                        || "TooManyRequestsException".equals(code)) {
                    status = 429;
                } else if ("ModelTimeoutException".equals(code)) {
                    status = 408;
                }
                String retryAfter = a.awsErrorDetails() == null || a.awsErrorDetails().sdkHttpResponse() == null ? null
                        : a.awsErrorDetails().sdkHttpResponse().firstMatchingHeader("Retry-After").orElse(null);
                byte[] body = msg == null ? null : ("{\"message\":" + quote((code == null ? "" : code + ": ") + msg)
                        + "}").getBytes(StandardCharsets.UTF_8);
                return fromStatus(provider, d, status, body, retryAfter);
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException || c instanceof SdkClientException) {
                return new GatewayException(502, "api_error", null, "upstream_connection_error",
                        provider + " upstream could not be reached or closed the connection.");
            }
        }
        return null;
    }

    private static GatewayException timeout(String provider, String message) {
        return new GatewayException(504, "timeout", null, "upstream_timeout", message);
    }

    private static Integer retryAfterSeconds(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        try {
            return Math.max(0, (int) Math.ceil(Double.parseDouble(header.trim())));
        } catch (NumberFormatException e) {
            try {
                long at = java.time.ZonedDateTime.parse(header.trim(),
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
                return (int) Math.min(GatewayException.MAX_RETRY_AFTER_SECONDS,
                        Math.max(0, at - System.currentTimeMillis() / 1000));
            } catch (java.time.format.DateTimeParseException e2) {
                return null;
            }
        }
    }

    /**
     * What the client may read of an upstream's error body: the JSON error text (see {@link #upstreamMessage}), else
     * a summary such as {@code "a non-JSON answer (text/html, 5123 bytes)"}, with at most {@value #MAX_EXCERPT}
     * characters of a plain-text body; "" for no body.
     */
    static String describe(byte[] body, String contentType) {
        if (body == null || body.length == 0) {
            return "";
        }
        String json = jsonMessage(body);
        if (json != null) {
            return json;
        }
        String type = contentType == null || contentType.isBlank() ? "no content type"
                : contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
        String summary = "a non-JSON answer (" + type + ", " + body.length + " bytes)";
        if (type.equals("text/plain") || type.equals("no content type")) {
            String text = new String(body, 0, Math.min(body.length, 4 * MAX_EXCERPT), StandardCharsets.UTF_8).strip();
            boolean markup = text.startsWith("<");
            if (!markup && !text.isEmpty()) {
                text = text.replaceAll("\\s+", " ");
                summary += ": " + (text.length() > MAX_EXCERPT ? text.substring(0, MAX_EXCERPT) + "…" : text);
            }
        }
        return summary;
    }

    /** The upstream's own error text from a JSON body, or a summary of any other body (see {@link #describe}). */
    public static String upstreamMessage(byte[] body) {
        return describe(body, null);
    }

    /** error.message, message, Message, error, detail, errors[0], error[0] of a JSON body; null when not JSON. */
    private static String jsonMessage(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !(n.isObject() || n.isArray())) {
                return null;
            }
            for (String path : new String[]{"/error/message", "/message", "/Message", "/error", "/detail",
                    "/errors/0", "/error/0", "/detail/0/msg"}) {
                JsonNode m = n.at(path);
                if (m.isTextual() && !m.asText().isBlank()) {
                    return m.asText();
                }
            }
            return "";
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Registers a secret that is not among a deployment's litellm_params (e.g. a key an adapter read from the
     * environment, a token it fetched), so that every output redacts it: see {@link Redactor#addSecret}.
     */
    public static void addSecret(String secret) {
        Redactor.addSecret(secret);
    }

    /** A URL for display: user-info and secret query values masked ({@link Redactor#redactUrl}). */
    public static String redactUrl(String url) {
        return url == null ? null : Redactor.redactUrl(url);
    }

    /** Removes secrets from an upstream message ({@link Redactor}), flattens it to one line, cuts it to a sane length. */
    public static String sanitize(String text, Deployment d) {
        String s = Redactor.redact(text.replaceAll("[\\r\\n\\t]+", " "));
        return s.length() > MAX_MESSAGE ? s.substring(0, MAX_MESSAGE) + "…" : s;
    }

    private static String quote(String s) {
        try {
            return JSON.writeValueAsString(s);
        } catch (IOException e) {
            return "\"\"";
        }
    }
}
