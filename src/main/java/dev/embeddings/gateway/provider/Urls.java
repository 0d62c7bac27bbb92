package dev.embeddings.gateway.provider;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Upstream URLs built from an {@code api_base} that may carry its own query string (a key some proxies expect,
 * {@code ?key=...}, a routing parameter): paths go before the query, parameters join it, and the base's own
 * parameters are kept.
 */
public final class Urls {

    private Urls() {
    }

    /**
     * {@code base} with {@code path} appended to its path (one slash between them), before its query:
     * {@code (https://h/v1?k=1, "embeddings")} → {@code https://h/v1/embeddings?k=1}.
     */
    public static String appendPath(String base, String path) {
        int q = queryStart(base);
        String p = base.substring(0, q);
        String query = base.substring(q);
        String joined = (p.endsWith("/") ? p.substring(0, p.length() - 1) : p)
                + (path.startsWith("/") ? path : "/" + path);
        return joined + query;
    }

    /** {@code url} with the parameter {@code name=value} (value URL-encoded) added to its query. */
    public static String withParam(String url, String name, String value) {
        int q = queryStart(url);
        String sep = q == url.length() ? "?" : url.endsWith("?") || url.endsWith("&") ? "" : "&";
        return url + sep + name + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** The path of {@code url} without its query (and fragment). */
    public static String path(String url) {
        return url.substring(0, queryStart(url));
    }

    /** Index of the '?' (or '#') that ends the path, or the length. */
    static int queryStart(String url) {
        int q = url.indexOf('?');
        int h = url.indexOf('#');
        if (h >= 0 && (q < 0 || h < q)) {
            q = h;
        }
        return q < 0 ? url.length() : q;
    }
}
