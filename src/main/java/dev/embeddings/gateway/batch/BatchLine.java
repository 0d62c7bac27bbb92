package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.openai.EmbeddingRequest;

/**
 * One valid line of a batch input file.
 *
 * @param line     its line number in the file (1-based)
 * @param customId the client's {@code custom_id}
 * @param request  its {@code body}, parsed and validated as the interactive API does
 * @param raw      the line as in the file (what the Kafka lines topic carries)
 */
public record BatchLine(int line, String customId, EmbeddingRequest request, byte[] raw) {
}
