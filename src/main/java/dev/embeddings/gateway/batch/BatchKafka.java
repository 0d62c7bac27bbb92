package dev.embeddings.gateway.batch;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.support.DefaultMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Batches on Kafka ({@code gateway.batch.kafka.enabled=true}), the beans of the Kafka routes in
 * routes/batches.yaml:
 * <ul>
 *   <li><b>lines topic</b> ({@code gateway.batch.kafka.linesTopic}, default {@code embeddings.batch.lines}): one
 *       record per input line, key = the batch id, value = the line as in the input file, header
 *       {@value #LINE_HEADER} = its line number. Consecutive lines go to the same partition, chunk by chunk round the
 *       partitions (the partition is chosen explicitly from the line number), so every replica's workers (one
 *       consumer group) share one batch.</li>
 *   <li><b>results topic</b> ({@code gateway.batch.kafka.resultsTopic}, default {@code embeddings.batch.results}):
 *       one record per finished line, key = the batch id (so all results of a batch are in one partition, read by
 *       one finaliser at a time), value = {@link LineResult#encode()}.</li>
 * </ul>
 * Offsets are committed only after a poll's results are acknowledged (results: appended to the result log), so a
 * replica killed mid-batch loses nothing: its partitions move to the others, which read the uncommitted records
 * again; a line done twice is recorded once.
 */
public final class BatchKafka {

    private static final Logger LOG = LoggerFactory.getLogger(BatchKafka.class);
    /** Line record header: the line number in the input file. */
    public static final String LINE_HEADER = "batch-line";
    /** Exchange property: the consumed records of the current poll (for the commit). */
    public static final String RECORDS = "batchKafkaRecords";

    private final BatchService service;
    private volatile int partitions = 1;

    public BatchKafka(BatchService service) {
        this.service = service;
    }

    /** One batch's results from one poll of the results topic. */
    public record BatchResults(String batchId, List<LineResult> results) {
    }

    /**
     * Creates the lines and results topics when missing ({@code gateway.batch.kafka.partitions}, default 6; the
     * broker's default replication factor) and learns the lines topic's partition count.
     */
    public void ensureTopics(String bootstrap, String linesTopic, String resultsTopic, int wantedPartitions) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            for (String t : List.of(linesTopic, resultsTopic)) {
                try {
                    admin.createTopics(List.of(new NewTopic(t, Optional.of(wantedPartitions), Optional.empty())))
                            .all().get(30, TimeUnit.SECONDS);
                    LOG.info("created Kafka topic {} with {} partitions", t, wantedPartitions);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            partitions = admin.describeTopics(List.of(linesTopic)).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(linesTopic).partitions().size();
        } catch (Exception e) {
            LOG.warn("could not create or describe the batch topics ({}); lines go to partition by key", e.toString());
        }
    }

    /**
     * Camel entry (dispatcher, Kafka mode): the records of one chunk's lines for the lines topic: key = batch id,
     * the partition of the chunk, header {@value #LINE_HEADER}.
     */
    public List<Message> lineRecords(Exchange exchange) {
        WorkChunk chunk = exchange.getMessage().getBody(WorkChunk.class);
        List<Message> out = new ArrayList<>();
        if (chunk.lines().isEmpty()) {
            return out;
        }
        int partition = Math.floorMod(chunk.lines().get(0).line() / service.settings().linesPerCall(), partitions);
        for (BatchLine l : chunk.lines()) {
            Message m = new DefaultMessage(exchange.getContext());
            m.setHeader(KafkaConstants.KEY, chunk.batchId());
            m.setHeader(KafkaConstants.PARTITION_KEY, partition);
            m.setHeader(LINE_HEADER, String.valueOf(l.line()));
            m.setBody(l.raw());
            out.add(m);
        }
        return out;
    }

    /**
     * Camel entry (worker, Kafka mode): a poll of line records → the chunks to embed. Lines of batches that no
     * longer run are dropped; a line that no longer parses becomes its error result at once.
     */
    public List<WorkChunk> chunks(Exchange exchange) {
        List<?> items = exchange.getMessage().getBody(List.class);
        exchange.setProperty(RECORDS, items);
        Map<String, List<BatchLine>> byBatch = new LinkedHashMap<>();
        List<WorkChunk> out = new ArrayList<>();
        Map<String, String> endpoints = new LinkedHashMap<>();
        for (Object item : items) {
            Message m = ((Exchange) item).getMessage();
            String batchId = m.getHeader(KafkaConstants.KEY, String.class);
            Integer line = lineNumber(m.getHeader(KafkaConstants.HEADERS, Headers.class));
            byte[] value = m.getBody(byte[].class);
            if (batchId == null || line == null || value == null) {
                LOG.warn("dropping a malformed batch line record (no key, line header or value)");
                continue;
            }
            BatchStatus status = service.status(batchId);
            if (status == null || !status.isRunning()) {
                continue;
            }
            String endpoint = endpoints.computeIfAbsent(batchId, id -> {
                BatchService.Facts f = service.facts(id);
                return f == null ? BatchesApi.ENDPOINT : f.endpoint();
            });
            try {
                byBatch.computeIfAbsent(batchId, k -> new ArrayList<>())
                        .add(service.lines().parse(line, value, endpoint));
            } catch (BatchLines.LineException e) {
                out.add(WorkChunk.failedLine(batchId, line, e.error()));
            }
        }
        byBatch.forEach((id, lines) -> out.addAll(WorkChunk.Chunker.group(id, lines,
                service.settings().linesPerCall())));
        out.forEach(c -> service.chunkOpened(c.batchId()));
        return out;
    }

    private static Integer lineNumber(Headers headers) {
        if (headers == null) {
            return null;
        }
        Header h = headers.lastHeader(LINE_HEADER);
        try {
            return h == null || h.value() == null ? null
                    : Integer.valueOf(new String(h.value(), StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Camel entry (worker, after direct:batch-work): a chunk's results as records for the results topic. */
    public List<Message> resultRecords(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId, Exchange exchange) {
        List<?> results = exchange.getMessage().getBody(List.class);
        List<Message> out = new ArrayList<>(results.size());
        for (Object o : results) {
            LineResult r = (LineResult) o;
            Message m = new DefaultMessage(exchange.getContext());
            m.setHeader(KafkaConstants.KEY, batchId);
            m.setBody(r.encode());
            out.add(m);
        }
        return out;
    }

    /** Camel entry (finaliser, Kafka mode): a poll of result records, grouped by batch. */
    public List<BatchResults> results(Exchange exchange) {
        List<?> items = exchange.getMessage().getBody(List.class);
        exchange.setProperty(RECORDS, items);
        Map<String, List<LineResult>> byBatch = new LinkedHashMap<>();
        for (Object item : items) {
            Message m = ((Exchange) item).getMessage();
            String batchId = m.getHeader(KafkaConstants.KEY, String.class);
            byte[] value = m.getBody(byte[].class);
            try {
                byBatch.computeIfAbsent(batchId, k -> new ArrayList<>()).add(LineResult.decode(value));
            } catch (RuntimeException e) {
                LOG.warn("dropping a malformed batch result record of {}", batchId);
            }
        }
        List<BatchResults> out = new ArrayList<>();
        byBatch.forEach((id, r) -> out.add(new BatchResults(id, r)));
        return out;
    }

    /** Camel entry: commits, per partition, the offset after the poll's last record (synchronous commit). */
    public void commit(@ExchangeProperty(RECORDS) List<?> records) {
        Map<String, KafkaManualCommit> last = new LinkedHashMap<>();
        for (Object item : records) {
            Message m = ((Exchange) item).getMessage();
            KafkaManualCommit c = m.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (c != null) {
                last.put(m.getHeader(KafkaConstants.TOPIC) + "-" + m.getHeader(KafkaConstants.PARTITION), c);
            }
        }
        last.values().forEach(KafkaManualCommit::commit);
    }
}
