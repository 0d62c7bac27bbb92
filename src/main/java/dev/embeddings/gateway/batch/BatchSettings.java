package dev.embeddings.gateway.batch;

import org.apache.camel.spi.PropertiesComponent;

import java.nio.file.Path;

/**
 * The batch settings, from the gateway's properties ({@code application.properties} or {@code --name=value}).
 *
 * @param dataDir          {@code gateway.dataDir} ({@code --data-dir}, default {@code ./data}): files and batch state
 * @param maxFileBytes     {@code gateway.batch.maxFileBytes}: largest upload (default 200 MB, OpenAI's limit)
 * @param maxLines         {@code gateway.batch.maxLines}: requests per input file (default 50,000, OpenAI's)
 * @param maxLineBytes     {@code gateway.batch.maxLineBytes}: bytes of one input line (default 1,000,000, which fits
 *                         a Kafka record)
 * @param uploadTimeoutMs  {@code gateway.batch.uploadTimeoutMs}: time for an upload to arrive (default 10 min)
 * @param workers          {@code gateway.batch.workers}: chunks of lines embedded at once per gateway (default 8)
 * @param linesPerCall     {@code gateway.batch.linesPerCall}: lines combined into one core call (default 32; their
 *                         inputs at most 2,048)
 * @param interactiveShare {@code gateway.batch.interactiveShare}: share of each model's configured rpm/tpm kept for
 *                         interactive requests (default 0.2)
 * @param maxAttempts      {@code gateway.batch.maxAttempts}: tries of a line failing with a retryable error other
 *                         than 429 before it is written as failed (default 8; 429s are retried until the batch expires)
 * @param maxBackoffMs     {@code gateway.batch.maxBackoffMs}: longest pause after failures (default 60 s)
 * @param leaseMs          {@code gateway.batch.leaseMs}: how long an instance's claim on dispatching or finishing a
 *                         batch holds without renewal (default 30 s)
 * @param cancelGraceMs    {@code gateway.batch.cancelGraceMs}: with Kafka, how long after a cancel the lines in
 *                         flight on other replicas may still land (default 5 s)
 * @param kafka            {@code gateway.batch.kafka.enabled}: lines and results go through Kafka topics
 * @param instanceName     {@code gateway.instanceName}: this gateway's stable name (lease holder, Kafka
 *                         {@code group.instance.id})
 */
public record BatchSettings(Path dataDir, long maxFileBytes, int maxLines, int maxLineBytes, long uploadTimeoutMs,
                            int workers, int linesPerCall, double interactiveShare, int maxAttempts,
                            long maxBackoffMs, long leaseMs, long cancelGraceMs, boolean kafka, String instanceName) {

    public static final long DEFAULT_MAX_FILE_BYTES = 200L * 1000 * 1000;

    public static BatchSettings from(PropertiesComponent p) {
        return new BatchSettings(
                Path.of(p.resolveProperty("gateway.dataDir").orElse("data")),
                Long.parseLong(p.resolveProperty("gateway.batch.maxFileBytes").orElse(String.valueOf(DEFAULT_MAX_FILE_BYTES))),
                Integer.parseInt(p.resolveProperty("gateway.batch.maxLines").orElse("50000")),
                Integer.parseInt(p.resolveProperty("gateway.batch.maxLineBytes").orElse("1000000")),
                Long.parseLong(p.resolveProperty("gateway.batch.uploadTimeoutMs").orElse("600000")),
                Math.max(1, Integer.parseInt(p.resolveProperty("gateway.batch.workers").orElse("8"))),
                Math.max(1, Integer.parseInt(p.resolveProperty("gateway.batch.linesPerCall").orElse("32"))),
                Math.max(0, Math.min(0.95, Double.parseDouble(p.resolveProperty("gateway.batch.interactiveShare")
                        .orElse("0.2")))),
                Math.max(1, Integer.parseInt(p.resolveProperty("gateway.batch.maxAttempts").orElse("8"))),
                Long.parseLong(p.resolveProperty("gateway.batch.maxBackoffMs").orElse("60000")),
                Long.parseLong(p.resolveProperty("gateway.batch.leaseMs").orElse("30000")),
                Long.parseLong(p.resolveProperty("gateway.batch.cancelGraceMs").orElse("5000")),
                Boolean.parseBoolean(p.resolveProperty("gateway.batch.kafka.enabled").orElse("false")),
                p.resolveProperty("gateway.instanceName").orElse("gateway"));
    }
}
