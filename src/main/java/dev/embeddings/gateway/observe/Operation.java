package dev.embeddings.gateway.observe;

/**
 * The {@code operation} label of an HTTP request, from a small fixed set (never the raw path, which a client
 * chooses): {@code embeddings}, {@code models}, {@code health}, {@code metrics}, {@code keys}, {@code files},
 * {@code batches}, or {@code other} (unknown paths included).
 */
final class Operation {

    private Operation() {
    }

    static String of(String path) {
        if (path == null) {
            return "other";
        }
        String p = path.startsWith("/v1/") ? path.substring(3) : path;
        if (p.equals("/embeddings") || p.equals("/embeddings/")
                || (p.endsWith("/embeddings") && (p.startsWith("/openai/deployments/") || p.startsWith("/engines/")))) {
            return "embeddings";
        }
        if (p.equals("/models") || p.startsWith("/models/")) {
            return "models";
        }
        if (p.equals("/health") || p.startsWith("/health/")) {
            return "health";
        }
        if (p.equals("/metrics")) {
            return "metrics";
        }
        if (p.startsWith("/key/") || p.startsWith("/team/") || p.startsWith("/user/") || p.startsWith("/spend/")) {
            return "keys";
        }
        if (p.equals("/files") || p.startsWith("/files/")) {
            return "files";
        }
        if (p.equals("/batches") || p.startsWith("/batches/")) {
            return "batches";
        }
        return "other";
    }
}
