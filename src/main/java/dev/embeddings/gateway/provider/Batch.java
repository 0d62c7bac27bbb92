package dev.embeddings.gateway.provider;

import java.util.List;

/**
 * One upstream call's share of a request: the inputs {@code [offset, offset + size())} in request order.
 * Exactly one of {@code texts} and {@code tokenIds} is non-null (token ids only reach adapters that accept them).
 */
public record Batch(int offset, List<String> texts, List<int[]> tokenIds) {

    public int size() {
        return texts != null ? texts.size() : tokenIds.size();
    }

    /** Token count of this batch by cl100k_base, for upstreams that report none. */
    public int countTokens() {
        return texts != null ? Cl100k.count(texts) : Cl100k.countIds(tokenIds);
    }
}
