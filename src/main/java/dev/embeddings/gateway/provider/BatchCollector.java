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
        int tokens;
        final Map<String, Object> rateLimitHeaders = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);

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

    /**
     * Camel entry after the split: returns the EmbeddingResult (vectors in input order, summed tokens) and puts the
     * upstream's {@code x-ratelimit-*} headers on the message as {@code llm_provider-x-ratelimit-*}.
     * Throws GatewayException 502 if a slot stayed empty (an upstream answered fewer vectors than inputs).
     */
    public EmbeddingResult result(Exchange exchange) {
        Results results = exchange.getProperty(PROPERTY, Results.class);
        for (int i = 0; i < results.vectors.length; i++) {
            if (results.vectors[i] == null) {
                throw new dev.embeddings.gateway.openai.GatewayException(502, "api_error", null, "upstream_error",
                        "The upstream returned no embedding for input " + i + ".");
            }
        }
        exchange.getMessage().removeHeaders("*");
        results.rateLimitHeaders.forEach((k, v) -> exchange.getMessage().setHeader("llm_provider-" + k, v));
        return new EmbeddingResult(results.vectors, results.tokens);
    }
}
