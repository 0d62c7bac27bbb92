package dev.embeddings.gateway.provider;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

import java.util.Map;
import java.util.TreeMap;

/**
 * The Aggregator side of every provider route's Splitter: each batch's {@link BatchResult} lands in its slots of
 * the request's {@link Results} (exchange property {@value #PROPERTY}, shared by the split's sub-exchanges), so
 * batches finishing in any order re-assemble in input order. {@link #result} turns the filled slots into the
 * route's {@link EmbeddingResult}.
 */
public final class BatchCollector implements AggregationStrategy {

    public static final String PROPERTY = "batchResults";
    private static final String RATE_LIMIT_PREFIX = "x-ratelimit-";

    /** The slots of one request: vectors by input index, token total, and the upstream's last rate-limit headers. */
    public static final class Results {
        final float[][] vectors;
        /** The upstream's base64 text per input, made on the first batch that has any (see EmbeddingResult). */
        Base64Vector[] base64;
        int tokens;
        final Map<String, Object> rateLimitHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        volatile boolean timedOut;

        public Results(int size) {
            vectors = new float[size][];
        }
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        if (newExchange.getException() == null) {
            BatchResult r = newExchange.getMessage().getBody(BatchResult.class);
            Results results = newExchange.getProperty(PROPERTY, Results.class);
            if (r != null && results != null) {
                synchronized (results) {
                    System.arraycopy(r.vectors(), 0, results.vectors, r.offset(), r.vectors().length);
                    if (r.base64() != null) {
                        if (results.base64 == null) {
                            results.base64 = new Base64Vector[results.vectors.length];
                        }
                        System.arraycopy(r.base64(), 0, results.base64, r.offset(), r.base64().length);
                    }
                    results.tokens += r.tokens();
                    newExchange.getMessage().getHeaders().forEach((k, v) -> {
                        if (k.regionMatches(true, 0, RATE_LIMIT_PREFIX, 0, RATE_LIMIT_PREFIX.length())) {
                            results.rateLimitHeaders.put(k.toLowerCase(java.util.Locale.ROOT), v);
                        }
                    });
                }
            }
        }
        return oldExchange == null ? newExchange : oldExchange;
    }

    /** The Splitter's timeout (the request deadline) passed before every batch answered. */
    @Override
    public void timeout(Exchange exchange, int index, int total, long timeout) {
        Results results = exchange.getProperty(PROPERTY, Results.class);
        if (results != null) {
            results.timedOut = true;
        }
    }

    /**
     * Throws GatewayException 502 {@code upstream_bad_response} unless every input got a vector, all of one
     * non-zero length, with finite values only (an upstream's NaN, Infinity or ragged answer never reaches a
     * client). Vectors held as base64 ({@code base64[i]} non-null, may be null as a whole) were checked for finite
     * values when they were read ({@link Base64Vector}); here only their length counts.
     */
    static void checkVectors(float[][] vectors, Base64Vector[] base64) {
        int dims = -1;
        for (int i = 0; i < vectors.length; i++) {
            float[] v = vectors[i];
            Base64Vector b = base64 == null ? null : base64[i];
            if (v == null && b == null) {
                throw bad("no embedding for input " + i);
            }
            int length = v != null ? v.length : b.dimensions();
            if (length == 0 || (dims >= 0 && length != dims)) {
                throw bad("embedding " + i + " has " + length + " dimensions" + (dims >= 0 ? ", not " + dims : ""));
            }
            dims = length;
            if (v == null) {
                continue;
            }
            for (float x : v) {
                if (!Float.isFinite(x)) {
                    throw bad("embedding " + i + " holds a value that is not a finite number");
                }
            }
        }
    }

    /** 502 {@code upstream_bad_response}: "The upstream returned an unusable answer: {what}." */
    static dev.embeddings.gateway.openai.GatewayException bad(String what) {
        return new dev.embeddings.gateway.openai.GatewayException(502, "api_error", null, "upstream_bad_response",
                "The upstream returned an unusable answer: " + what + ".");
    }

    /**
     * Camel entry after the split: returns the EmbeddingResult (vectors in input order, summed tokens) and puts the
     * upstream's {@code x-ratelimit-*} headers on the message as {@code llm_provider-x-ratelimit-*}.
     * Throws GatewayException 504 when the request deadline cut the split short, 502 when a vector is missing,
     * ragged or not finite.
     */
    public EmbeddingResult result(Exchange exchange) {
        Results results = exchange.getProperty(PROPERTY, Results.class);
        if (results.timedOut) {
            throw new dev.embeddings.gateway.openai.GatewayException(504, "timeout", null, "upstream_timeout",
                    "The upstream did not answer within the request deadline.");
        }
        checkVectors(results.vectors, results.base64);
        exchange.getMessage().removeHeaders("*");
        results.rateLimitHeaders.forEach((k, v) -> exchange.getMessage().setHeader("llm_provider-" + k, v));
        return new EmbeddingResult(results.vectors, results.tokens, results.base64);
    }
}
