package dev.embeddings.gateway.pipeline;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.RequestParser;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The beans of {@code routes/pipeline-kafka.yaml}: one micro-batch of Kafka records (the batching consumer's
 * {@code List<Exchange>}) → one {@code direct:embed} call per (model, dimensions, options) group → one result record
 * per input record, or a DLQ record.
 *
 * <p>Record value in (UTF-8): plain text (one input, the default model), or JSON
 * {@code {"id"?, "model"?, "input": str | [str], "dimensions"?, "user"?}} (also token-id inputs, as the HTTP API).
 * A value whose first non-blank byte is <code>{</code> is JSON; an empty value, invalid JSON or JSON without
 * {@code input} is a poison record.
 *
 * <p>Result record out: the same key and headers, value
 * {@code {"id", "model", "data":[{"index", "embedding":[floats]}], "usage":{"prompt_tokens","total_tokens"}}};
 * {@code id} is the request's {@code id}, else the key (UTF-8), else {@code <topic>-<partition>-<offset>}; usage is
 * the record's share of its group's upstream token count (by input length; exact when the record was alone).
 *
 * <p>DLQ record out: the original key, value and headers, plus the header {@value #ERROR_HEADER} (UTF-8 JSON
 * {@code {"status", "error":{"message","type","param","code"}, "source":{"topic","partition","offset"}}}). Poison
 * records and non-retryable failures (a GatewayException other than 408/429/502/503/504) go there; when a group of
 * several records fails non-retryably for a reason that may be one input's (not its model or dimensions), each
 * record is retried alone so only the failing ones go to the DLQ.
 *
 * <p>Retryable failures (408, 429, 502, 503, 504 after the core's own retries, and unexpected exceptions) are
 * rethrown: the batch is neither produced nor committed, and the consumer re-reads it after a back-off.
 *
 * <p>Result and DLQ records carry the input record's headers exactly as they came: every one, in order, repeated
 * keys and null values included. camel-kafka's producer builds record headers from the Camel header map (one value
 * per key, nulls dropped), so {@link #produce} sends them with a Kafka producer of its own (acks=all, idempotent,
 * built on first use, closed with the gateway).
 */
public final class KafkaPipeline {

    /** DLQ record header with the error JSON. */
    public static final String ERROR_HEADER = "embeddings-error";
    /** Exchange property: the current {@link Batch}. */
    public static final String BATCH_PROPERTY = "kafkaBatch";
    /** Exchange property (in {@code direct:kafka-embed-group}): the {@link Group} being embedded. */
    public static final String GROUP_PROPERTY = "kafkaGroup";
    /** Statuses that mean "try again later" (never the DLQ). */
    public static final Set<Integer> RETRYABLE = Set.of(408, 429, 502, 503, 504);

    private static final Logger LOG = LoggerFactory.getLogger(KafkaPipeline.class);
    /** For the record id (any JSON value); its factory writes vectors with the fast float writer. */
    private static final ObjectMapper JSON = new ObjectMapper(JsonVectors.FACTORY.copy());

    private final RequestParser parser = new RequestParser();
    private final AtomicInteger failures = new AtomicInteger();
    private volatile Producer<byte[], byte[]> producer;

    /** One consumed record and what became of it. */
    public static final class Record {
        final Exchange source;
        final byte[] key;
        final byte[] value;
        final String topic;
        final int partition;
        final long offset;
        JsonNode id;
        EmbeddingRequest request;
        float[][] vectors;
        int tokens;
        GatewayException error;

        Record(Exchange source) {
            Message m = source.getMessage();
            this.source = source;
            this.key = m.getHeader(KafkaConstants.KEY, byte[].class);
            this.value = m.getBody(byte[].class);
            this.topic = m.getHeader(KafkaConstants.TOPIC, String.class);
            this.partition = m.getHeader(KafkaConstants.PARTITION, 0, Integer.class);
            this.offset = m.getHeader(KafkaConstants.OFFSET, 0L, Long.class);
        }
    }

    /** Records sharing model, dimensions and options: embedded with one {@code direct:embed} call. */
    public static final class Group {
        final List<Record> records;
        final EmbeddingRequest request;

        Group(List<Record> records) {
            this.records = records;
            EmbeddingRequest first = records.get(0).request;
            if (records.size() == 1) {
                this.request = first;
            } else if (first.texts() != null) {
                List<String> texts = new ArrayList<>();
                records.forEach(r -> texts.addAll(r.request.texts()));
                this.request = new EmbeddingRequest(first.model(), texts, null, EncodingFormat.FLOAT,
                        first.dimensions(), first.user(), first.extras());
            } else {
                List<int[]> ids = new ArrayList<>();
                records.forEach(r -> ids.addAll(r.request.tokenIds()));
                this.request = new EmbeddingRequest(first.model(), null, ids, EncodingFormat.FLOAT,
                        first.dimensions(), first.user(), first.extras());
            }
        }

        /** The concatenated request: every record's inputs, in record order. */
        public EmbeddingRequest request() {
            return request;
        }

        public int size() {
            return records.size();
        }
    }

    /** One micro-batch: its records in consumption order and their embedding groups. */
    public static final class Batch {
        final List<Record> records;
        final List<Group> groups;

        Batch(List<Record> records, List<Group> groups) {
            this.records = records;
            this.groups = groups;
        }

        public List<Group> groups() {
            return groups;
        }
    }

    private record GroupKey(String model, Integer dimensions, boolean tokenIds, String user,
                            Map<String, JsonNode> extras) {
    }

    /**
     * Camel entry: body = the batching consumer's {@code List<Exchange>} (byte[] keys and values). Parses every
     * record (poison ones get their error), groups the good ones, stores the {@link Batch} in exchange property
     * {@value #BATCH_PROPERTY} and returns its groups.
     */
    public List<Group> parse(Exchange exchange, @ExchangeProperty("kafkaDefaultModel") String defaultModel) {
        List<?> items = exchange.getMessage().getBody(List.class);
        List<Record> records = new ArrayList<>(items.size());
        Map<GroupKey, List<Record>> grouped = new LinkedHashMap<>();
        for (Object item : items) {
            Record r = new Record((Exchange) item);
            records.add(r);
            try {
                parse(r, defaultModel);
                EmbeddingRequest q = r.request;
                grouped.computeIfAbsent(new GroupKey(q.model(), q.dimensions(), q.tokenIds() != null, q.user(),
                        q.extras()), k -> new ArrayList<>()).add(r);
            } catch (GatewayException e) {
                r.error = e;
            }
        }
        List<Group> groups = new ArrayList<>(grouped.size());
        grouped.values().forEach(g -> groups.add(new Group(g)));
        exchange.setProperty(BATCH_PROPERTY, new Batch(records, groups));
        return groups;
    }

    private void parse(Record r, String defaultModel) {
        byte[] v = r.value;
        if (v == null || v.length == 0 || new String(v, StandardCharsets.UTF_8).isBlank()) {
            throw GatewayException.invalid("input", "The record value is empty; expected text or a JSON request.");
        }
        if (EmbeddingsAction.looksLikeJson(v)) {
            EmbeddingRequest q = parser.parseWithDefaultModel(v, defaultModel);
            Map<String, JsonNode> extras = q.extras();
            if (extras.containsKey("id")) {
                r.id = extras.get("id");
                extras = new LinkedHashMap<>(extras);
                extras.remove("id");
                extras = Map.copyOf(extras);
            }
            r.request = new EmbeddingRequest(q.model(), q.texts(), q.tokenIds(), EncodingFormat.FLOAT, q.dimensions(),
                    q.user(), extras);
        } else {
            r.request = parser.ofTexts(defaultModel, List.of(new String(v, StandardCharsets.UTF_8)));
        }
    }

    /** Camel entry after {@code direct:embed}: slices the group's vectors (input order) back to its records. */
    public void fill(@ExchangeProperty(GROUP_PROPERTY) Group group, Exchange exchange) {
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        float[][] v = result.vectors();
        if (v.length != group.request.size()) {
            throw new GatewayException(502, "api_error", null, "upstream_error", "The embeddings core returned "
                    + v.length + " vectors for " + group.request.size() + " inputs.");
        }
        long[] weights = new long[group.records.size()];
        int from = 0;
        for (int i = 0; i < weights.length; i++) {
            Record r = group.records.get(i);
            int n = r.request.size();
            float[][] mine = new float[n][];
            System.arraycopy(v, from, mine, 0, n);
            r.vectors = mine;
            from += n;
            weights[i] = Math.max(1, r.request.inputLength());
        }
        int[] shares = apportion(result.promptTokens(), weights);
        for (int i = 0; i < shares.length; i++) {
            group.records.get(i).tokens = shares[i];
        }
    }

    /**
     * Camel entry in the {@code doCatch} of {@code direct:kafka-embed-group}. Rethrows a retryable failure. A
     * non-retryable one marks the record for the DLQ when the group has one record (or when the fault is the
     * group's model or dimensions, shared by all), and returns an empty list; otherwise it returns one group per
     * record, to be embedded one by one.
     */
    public List<Group> failed(@ExchangeProperty(GROUP_PROPERTY) Group group, Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GatewayException e = classify(exchange, caught);
        if (e == null || RETRYABLE.contains(e.status())) {
            throw e != null ? e : new IllegalStateException("embedding failed unexpectedly", caught);
        }
        if (group.records.size() == 1 || "model".equals(e.param()) || "dimensions".equals(e.param())) {
            for (Record r : group.records) {
                r.error = e;
                r.vectors = null;
            }
            return List.of();
        }
        List<Group> singles = new ArrayList<>(group.records.size());
        group.records.forEach(r -> singles.add(new Group(List.of(r))));
        return singles;
    }

    /** The gateway's verdict on a failure (as the HTTP API maps it), or null for an unexpected one. */
    static GatewayException classify(Exchange exchange, Throwable caught) {
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        GatewayException e = call == null ? null
                : UpstreamErrors.fromThrowable(call.deployment(), caught);
        if (e != null) {
            return e;
        }
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof GatewayException g) {
                return g;
            }
        }
        LOG.error("unexpected failure while embedding a Kafka batch (will retry)", caught);
        return null;
    }

    /**
     * Camel entry: sends the batch's records, in consumption order, and waits until the broker has acknowledged each
     * (acks=all): a result for each embedded record (to {@code outputTopic}), a DLQ record (to {@code dlqTopic}) for
     * each failed one, each with its input's key and every header as it came (plus, on the DLQ,
     * {@value #ERROR_HEADER}). Values are UTF-8 JSON (results) or the original value (DLQ).
     */
    public void produce(@ExchangeProperty(BATCH_PROPERTY) Batch batch, @ExchangeProperty("kafkaBootstrap") String bootstrap,
                        @ExchangeProperty("kafkaOutputTopic") String outputTopic,
                        @ExchangeProperty("kafkaDlqTopic") String dlqTopic) throws Exception {
        Producer<byte[], byte[]> p = producer(bootstrap);
        List<Future<RecordMetadata>> sent = new ArrayList<>(batch.records.size());
        int dlq = 0;
        for (Record r : batch.records) {
            Headers in = r.source.getMessage().getHeader(KafkaConstants.HEADERS, Headers.class);
            RecordHeaders headers = new RecordHeaders(in == null ? new org.apache.kafka.common.header.Header[0]
                    : in.toArray());
            ProducerRecord<byte[], byte[]> out;
            if (r.vectors != null && r.error == null) {
                out = new ProducerRecord<>(outputTopic, null, r.key, resultJson(r), headers);
            } else {
                GatewayException e = r.error != null ? r.error : new GatewayException(500, "internal_error", null,
                        "internal_error", "The record was not embedded.");
                headers.add(ERROR_HEADER, errorJson(e, r));
                out = new ProducerRecord<>(dlqTopic, null, r.key, r.value, headers);
                dlq++;
            }
            sent.add(p.send(out));
        }
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception c ? c : e;
            }
        }
        if (dlq > 0) {
            LOG.warn("{} of {} Kafka records go to the DLQ topic {}", dlq, batch.records.size(), dlqTopic);
        }
    }

    private Producer<byte[], byte[]> producer(String bootstrap) {
        Producer<byte[], byte[]> p = producer;
        if (p == null) {
            synchronized (this) {
                if (producer == null) {
                    Map<String, Object> config = new LinkedHashMap<>();
                    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
                    config.put(ProducerConfig.ACKS_CONFIG, "all");
                    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                    config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
                    config.put(ProducerConfig.CLIENT_ID_CONFIG, "embeddings-gateway-pipeline");
                    ClassLoader cl = Thread.currentThread().getContextClassLoader();
                    try {
                        // Kafka loads its classes reflectively: use its own class loader
                        Thread.currentThread().setContextClassLoader(
                                org.apache.kafka.clients.producer.KafkaProducer.class.getClassLoader());
                        producer = new org.apache.kafka.clients.producer.KafkaProducer<>(config,
                                new ByteArraySerializer(), new ByteArraySerializer());
                    } finally {
                        Thread.currentThread().setContextClassLoader(cl);
                    }
                }
                p = producer;
            }
        }
        return p;
    }

    /** Closes the producer (the gateway is stopping). */
    public synchronized void close() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
            producer = null;
        }
    }

    /**
     * Camel entry after the produce step (every result/DLQ record acknowledged by the broker): commits, per
     * partition, the offset after the batch's last record of that partition (synchronous commit), and resets the
     * retry back-off.
     */
    public void commit(@ExchangeProperty(BATCH_PROPERTY) Batch batch) {
        Map<String, Map<Integer, KafkaManualCommit>> byTopic = new LinkedHashMap<>();
        for (Record r : batch.records) {
            KafkaManualCommit c = r.source.getMessage().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (c != null) {
                byTopic.computeIfAbsent(r.topic, t -> new LinkedHashMap<>()).put(r.partition, c);
            }
        }
        byTopic.values().forEach(m -> m.values().forEach(KafkaManualCommit::commit));
        failures.set(0);
    }

    /**
     * The back-off before a failed batch is read again: {@code initialMs} doubled per consecutive failure, at most
     * {@code maxMs}. A successful commit resets it.
     */
    public long nextBackoffMs(long initialMs, long maxMs) {
        int n = Math.min(failures.getAndIncrement(), 20);
        return Math.min(maxMs, initialMs << n);
    }

    private static byte[] resultJson(Record r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + r.vectors.length * r.vectors[0].length * 12);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.setCodec(JSON);
            g.writeStartObject();
            g.writeFieldName("id");
            if (r.id != null && !r.id.isNull()) {
                g.writeTree(r.id);
            } else if (r.key != null) {
                g.writeString(new String(r.key, StandardCharsets.UTF_8));
            } else {
                g.writeString(r.topic + "-" + r.partition + "-" + r.offset);
            }
            g.writeStringField("model", r.request.model());
            g.writeArrayFieldStart("data");
            for (int i = 0; i < r.vectors.length; i++) {
                float[] v = r.vectors[i];
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                JsonVectors.write(g, v);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", r.tokens);
            g.writeNumberField("total_tokens", r.tokens);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] errorJson(GatewayException e, Record r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.getFactory().createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("status", e.status());
            g.writeFieldName("error");
            ErrorResponder.writeError(g, e);
            g.writeObjectFieldStart("source");
            g.writeStringField("topic", r.topic);
            g.writeNumberField("partition", r.partition);
            g.writeNumberField("offset", r.offset);
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /** Splits {@code total} into integer shares proportional to {@code weights} (largest remainder; sums to total). */
    public static int[] apportion(int total, long[] weights) {
        return dev.embeddings.gateway.cache.TokenShares.apportion(total, weights);
    }
}
