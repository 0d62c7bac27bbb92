package dev.embeddings.gateway.security;

import java.net.URI;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one redaction mechanism of the gateway, used by every output path: client error bodies
 * ({@code UpstreamErrors.sanitize}), {@code /health}, and every log line at every level (the
 * {@link RedactingLogEventFactory} runs each log event through {@link #redact} before any appender sees it, so Camel
 * tracing, Camel's and Apache HttpClient's DEBUG/TRACE output and the gateway's own lines are covered alike).
 *
 * <p>What it removes, each replaced by {@value #MASK}:
 * <ul>
 *   <li>every registered secret, verbatim: the {@code master_key}, every value of a {@code litellm_params} /
 *       settings key that names a secret ({@code api_key}, {@code *_token}, {@code *secret*}, {@code password},
 *       {@code *credentials*} …), every {@code os.environ/} value of 8 characters or more, secrets of configured
 *       URLs (user-info passwords and secret-looking query parameters such as {@code key}, {@code api-key},
 *       {@code token}, {@code sig}, {@code code}), and tokens the gateway fetches at run time (registered by the
 *       code that fetches them);</li>
 *   <li>secret-shaped text whoever sent it: {@code Bearer …} and {@code Basic …} credentials, {@code api-key: …}
 *       and {@code x-api-key} header values, {@code sk-…} and {@code hf_…} keys, AWS access key ids, ARNs, 12-digit
 *       account ids, SigV4 signatures and security tokens, URL user-info, and the values of secret-looking query
 *       parameters in any URL.</li>
 * </ul>
 * Registered secrets shorter than {@value #MIN_SECRET_LENGTH} characters are ignored (they would mask ordinary
 * words). Thread-safe; registration is rare (start-up, token refresh) and reading is lock-free.
 */
public final class Redactor {

    /** What a secret is replaced with. */
    public static final String MASK = "[redacted]";
    /** Shorter registered secrets are not redacted verbatim (patterns still apply). */
    public static final int MIN_SECRET_LENGTH = 4;

    /**
     * A log message built only from values that were redacted (or cannot hold a secret) when it was made, e.g. the
     * access-log line: {@link RedactingLogEventFactory} passes it through without scanning its text again (about
     * 40 µs per 250-character line, which per request would cost more than the whole access log).
     */
    public interface PreRedacted {
    }

    /** Query parameter names whose values are secrets, in any URL (compared lower-case, '-' and '_' alike). */
    static final Set<String> SECRET_PARAMS = Set.of("key", "apikey", "api_key", "token", "access_token", "sig",
            "signature", "code", "secret", "client_secret", "password", "pwd", "auth", "authorization",
            "x_api_key", "subscription_key", "sas", "se_token", "id_token", "refresh_token", "x_amz_signature",
            "x_amz_security_token", "x_amz_credential", "credential");

    private static final String PARAM_NAMES = "(?:api[-_]?key|key|x[-_]api[-_]key|(?:access|id|refresh)[-_]token"
            + "|token|sig|signature|code|secret|client[-_]secret|password|pwd|auth|authorization|subscription[-_]key"
            + "|x-amz-(?:signature|security-token|credential)|credential)";

    /**
     * A secret shape and its replacement ({@code $1} keeps a non-secret prefix such as a header name). The regular
     * expression runs only on text that contains one of {@code anyOf} (lower case): most log lines hold no secret,
     * and a literal check costs a fraction of a regex scan.
     */
    private record Rule(Pattern pattern, String replacement, String... anyOf) {
        Rule(String regex, String replacement, String... anyOf) {
            this(Pattern.compile(regex), replacement, anyOf);
        }

        boolean mayMatch(String lower) {
            for (String literal : anyOf) {
                if (lower.contains(literal)) {
                    return true;
                }
            }
            return anyOf.length == 0;
        }
    }

    private static final List<Rule> RULES = List.of(
            // Authorization header values, wherever they are printed (header maps, wire logs, messages)
            new Rule("(?i)\\b(bearer|basic)\\s+[A-Za-z0-9._~+/=-]{4,}", "$1 " + MASK, "bearer", "basic"),
            // api-key style headers as `name: value`, `name=value` or `"name":"value"`
            new Rule("(?i)(\\b(?:x-)?api[-_]?key|\\bx-goog-api-key|\\bocp-apim-subscription-key"
                    + "|\\bx-amz-security-token)(\"?\\s*[:=]\\s*\"?)[^\\s\",}&\\]\\[]+", "$1$2" + MASK,
                    "apikey", "api-key", "api_key", "subscription-key", "security-token"),
            // secret-looking query parameters of any URL
            new Rule("(?i)([?&;]" + PARAM_NAMES + "=)[^&\\s\"'#,}\\]]+", "$1" + MASK, "?", "&", ";"),
            // SigV4 pieces in Authorization values
            new Rule("(?i)\\b(signature|credential)=[^\\s,&\"]+", "$1=" + MASK, "signature=", "credential="),
            // well-known key shapes
            new Rule("\\bsk-[A-Za-z0-9_-]{6,}", MASK, "sk-"),
            new Rule("\\bhf_[A-Za-z0-9]{6,}", MASK, "hf_"),
            new Rule("\\b(?:AKIA|ASIA)[0-9A-Z]{16}\\b", MASK, "akia", "asia"),
            new Rule("arn:aws[a-z-]*:[^\\s\"',]+", MASK, "arn:aws"),
            new Rule("\\b\\d{12}\\b", MASK),
            // user-info of URLs (http://user:pass@host)
            new Rule("://[^/@\\s\"]+@", "://" + MASK + "@", "://"));

    /** Registered secrets, longest first (so a secret containing another is masked whole). */
    private static final List<String> SECRETS = new CopyOnWriteArrayList<>();

    private Redactor() {
    }

    /**
     * Registers a secret to be masked verbatim everywhere, as it is and percent-encoded (as it appears in URLs);
     * null, blank and very short values are ignored.
     */
    public static void addSecret(String secret) {
        if (secret == null) {
            return;
        }
        String s = secret.strip();
        add(s);
        add(java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Registers a short-lived secret the gateway obtained at run time (an OAuth2 access token it fetched): masked like
     * {@link #addSecret}, but only the {@value #MAX_FETCHED} most recent are kept, since older ones have expired and
     * a long-running gateway would otherwise collect one per refresh for ever. Cheap when already registered (it is
     * called for every upstream call).
     */
    public static void addFetchedSecret(String token) {
        if (token == null || token.length() < MIN_SECRET_LENGTH || FETCHED.contains(token)) {
            return;
        }
        synchronized (FETCHED) {
            if (FETCHED.add(token) && FETCHED.size() > MAX_FETCHED) {
                FETCHED.remove(FETCHED.iterator().next());
            }
        }
    }

    /** How many fetched tokens {@link #addFetchedSecret} keeps. */
    public static final int MAX_FETCHED = 64;
    private static final java.util.Set<String> FETCHED = java.util.Collections.synchronizedSet(
            new java.util.LinkedHashSet<>());

    private static void add(String s) {
        if (s.length() < MIN_SECRET_LENGTH || SECRETS.contains(s)) {
            return;
        }
        synchronized (SECRETS) {
            if (!SECRETS.contains(s)) {
                SECRETS.add(s);
                SECRETS.sort(Comparator.comparingInt(String::length).reversed());
            }
        }
    }

    /**
     * Registers the secrets of a configured value: the whole value when {@code key} names a secret (see
     * {@link #isSecretKey}); for a URL, its user-info password and secret-looking query parameter values.
     */
    public static void addConfigured(String key, Object value) {
        if (!(value instanceof String s) || s.isBlank()) {
            return;
        }
        if (key != null && isSecretKey(key)) {
            addSecret(s);
            addJsonCredentials(s);
        }
        addUrlSecrets(s);
    }

    /**
     * Whether a config key names a secret: {@code api_key} and {@code *_api_key}, {@code master_key}, the AWS keys,
     * {@code *token}, {@code *secret*}, {@code *password*}, {@code *credentials*} (e.g. {@code vertex_credentials}).
     */
    public static boolean isSecretKey(String key) {
        String k = key.toLowerCase(Locale.ROOT).replace('-', '_');
        return k.equals("api_key") || k.endsWith("_api_key") || k.equals("master_key") || k.startsWith("aws_access_key")
                || k.endsWith("token") || k.contains("secret") || k.contains("password") || k.contains("credential");
    }

    /**
     * Registers the secrets inside a service-account JSON (Google's {@code private_key}, {@code private_key_id},
     * and each line of the PEM body) when {@code value} is one; does nothing otherwise.
     */
    static void addJsonCredentials(String value) {
        if (!value.stripLeading().startsWith("{") || !value.contains("private_key")) {
            return;
        }
        try {
            com.fasterxml.jackson.databind.JsonNode n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(value);
            for (String f : new String[]{"private_key", "private_key_id", "client_secret", "refresh_token"}) {
                com.fasterxml.jackson.databind.JsonNode v = n.get(f);
                if (v != null && v.isTextual()) {
                    addSecret(v.asText());
                    for (String line : v.asText().split("\\R|\\\\n")) {
                        if (line.length() >= 16 && !line.startsWith("-----")) {
                            addSecret(line);
                        }
                    }
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not JSON after all: the whole value is already registered when its key names a secret
        }
    }

    /** Registers the user-info password and secret-looking query values of {@code url}, if it is a URL. */
    public static void addUrlSecrets(String url) {
        if (url == null || !url.contains("://")) {
            return;
        }
        URI u;
        try {
            u = URI.create(url.strip());
        } catch (IllegalArgumentException e) {
            return;
        }
        String userInfo = u.getRawUserInfo();
        if (userInfo != null) {
            // the password only: a user name alone (postgres://postgres@db) is no secret, and masking it would
            // mask every occurrence of the word
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                addSecret(userInfo.substring(colon + 1));
                addSecret(java.net.URLDecoder.decode(userInfo.substring(colon + 1),
                        java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        String query = u.getRawQuery();
        if (query == null) {
            return;
        }
        for (String pair : query.split("[&;]")) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String name = pair.substring(0, eq).toLowerCase(Locale.ROOT).replace('-', '_');
            if (SECRET_PARAMS.contains(name) || name.endsWith("_key") || name.endsWith("_token")) {
                String raw = pair.substring(eq + 1);
                addSecret(raw);
                addSecret(java.net.URLDecoder.decode(raw, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    /** {@code text} with every registered secret and every secret-shaped piece replaced by {@value #MASK}. */
    public static String redact(String text) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String s = text;
        for (String secret : SECRETS) {
            if (s.contains(secret)) {
                s = s.replace(secret, MASK);
            }
        }
        if (!FETCHED.isEmpty()) {
            String[] fetched;
            synchronized (FETCHED) {
                fetched = FETCHED.toArray(String[]::new);
            }
            for (String token : fetched) {
                if (s.contains(token)) {
                    s = s.replace(token, MASK);
                }
            }
        }
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        for (Rule r : RULES) {
            if (!r.mayMatch(lower)) {
                continue;
            }
            Matcher m = r.pattern().matcher(s);
            if (m.find()) {
                s = m.replaceAll(r.replacement());
            }
        }
        return s;
    }

    /** A URL without its user-info and with secret query values masked, for display ({@code /health}). */
    public static String redactUrl(String url) {
        return redact(url);
    }
}
