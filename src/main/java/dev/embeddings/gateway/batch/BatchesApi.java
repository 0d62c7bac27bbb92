package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Principal;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

import java.io.IOException;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The beans of OpenAI's Batch API for {@code /v1/embeddings}: {@code POST /v1/batches}
 * ({@code input_file_id}, {@code endpoint: "/v1/embeddings"}, {@code completion_window: "24h"}, {@code metadata}),
 * {@code GET /v1/batches/{id}}, {@code GET /v1/batches} ({@code after}, {@code limit} 1..100, default 20, newest
 * first), {@code POST /v1/batches/{id}/cancel}. Answers are OpenAI's batch object; {@code request_counts} are read
 * from the result log while the batch runs. A virtual key sees only its own batches.
 */
public final class BatchesApi {

    /** The one endpoint batches may target. */
    public static final String ENDPOINT = "/v1/embeddings";
    /** Exchange property: the id of the batch just created (handed to the dispatcher). */
    public static final String BATCH_ID = "batchId";

    private static final ObjectMapper JSON = new ObjectMapper();
    private final BatchService service;

    public BatchesApi(BatchService service) {
        this.service = service;
    }

    /** Camel entry: {@code POST /v1/batches}; the new batch is {@code validating}, its id in {@value #BATCH_ID}. */
    public void create(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        JsonNode body = body(exchange.getMessage().getBody(byte[].class));
        String inputFileId = requiredString(body, "input_file_id");
        String endpoint = requiredString(body, "endpoint");
        String window = requiredString(body, "completion_window");
        if (!ENDPOINT.equals(endpoint)) {
            throw GatewayException.invalid("endpoint", "invalid_value", "This gateway runs batches for "
                    + ENDPOINT + " only; got '" + shorten(endpoint) + "'.");
        }
        if (!"24h".equals(window)) {
            throw GatewayException.invalid("completion_window", "invalid_value",
                    "completion_window must be '24h'.");
        }
        Map<String, String> metadata = metadata(body.get("metadata"));
        StoredFile input = service.store().file(inputFileId)
                .filter(f -> f.owner() == null || f.owner().visibleTo(principal))
                .orElseThrow(() -> new GatewayException(404, "invalid_request_error", "input_file_id",
                        "file_not_found", "No such File object: " + shorten(inputFileId)));
        if (!FilesApi.PURPOSE_BATCH.equals(input.purpose())) {
            throw GatewayException.invalid("input_file_id", "invalid_value", "The file " + input.id()
                    + " has purpose '" + input.purpose() + "'; a batch reads files uploaded with purpose 'batch'.");
        }
        BatchJob b = new BatchJob();
        b.id = Ids.batch();
        b.endpoint = ENDPOINT;
        b.inputFileId = input.id();
        b.completionWindow = window;
        b.status = BatchStatus.VALIDATING;
        b.createdAtMs = System.currentTimeMillis();
        b.createdAt = b.createdAtMs / 1000;
        b.expiresAt = b.createdAt + 24 * 3600;
        b.metadata = metadata;
        b.owner = Owner.of(principal);
        // this instance validates and dispatches it (the seda:batch-dispatch the route sends it to)
        b.leaseHolder = service.instance();
        b.leaseUntil = System.currentTimeMillis() + service.settings().leaseMs();
        service.store().createBatch(b);
        service.enqueue(b.id);
        exchange.setProperty(BATCH_ID, b.id);
        FilesApi.json(exchange, BatchService.json(b::writeApi));
    }

    /** Camel entry: {@code GET /v1/batches/{id}}. */
    public void retrieve(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        BatchJob b = current(visible(exchange, principal).id);
        FilesApi.json(exchange, BatchService.json(b::writeApi));
    }

    /** Camel entry: {@code GET /v1/batches}. */
    public void list(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        int limit = FilesApi.intParam(exchange, "limit", 20, 1, 100);
        BatchStore.Page<BatchJob> page = service.store().batches(FilesApi.viewer(principal),
                HttpParts.query(exchange, "after"), limit);
        java.util.List<BatchJob> items = new java.util.ArrayList<>();
        for (BatchJob b : page.items()) {
            items.add(withLiveCounts(b));
        }
        FilesApi.json(exchange, BatchService.json(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (BatchJob b : items) {
                b.writeApi(g);
            }
            g.writeEndArray();
            g.writeStringField("first_id", items.isEmpty() ? null : items.get(0).id);
            g.writeStringField("last_id", items.isEmpty() ? null : items.get(items.size() - 1).id);
            g.writeBooleanField("has_more", page.hasMore());
            g.writeEndObject();
        }));
    }

    /**
     * Camel entry: {@code POST /v1/batches/{id}/cancel}. A validating or in-progress batch becomes
     * {@code cancelling}: no new line starts, lines in flight finish, then it is {@code cancelled} with the lines
     * done so far in its output file. Cancelling a cancelling or cancelled batch answers it as it is; any other
     * final batch is a 409.
     */
    public void cancel(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        BatchJob b = visible(exchange, principal);
        BatchJob after = service.update(b.id, x -> {
            if (x.status.isRunning()) {
                return x.moveTo(BatchStatus.CANCELLING, BatchService.nowSeconds());
            }
            if (x.status == BatchStatus.CANCELLING || x.status == BatchStatus.CANCELLED) {
                return null;
            }
            throw new GatewayException(409, "invalid_request_error", null, "batch_not_cancellable",
                    "The batch is " + x.status.apiName() + " and can no longer be cancelled.");
        });
        service.idleCheckNow(b.id);
        BatchJob shown = current(after.id);
        FilesApi.json(exchange, BatchService.json(shown::writeApi));
    }

    /** The batch with {@code request_counts} as the result log has them now (final batches: as frozen). */
    BatchJob current(String id) throws IOException {
        BatchJob b = service.store().batch(id).orElseThrow(() -> notFound(id));
        return withLiveCounts(b);
    }

    private BatchJob withLiveCounts(BatchJob b) throws IOException {
        if (!b.status.isFinal() && b.status != BatchStatus.VALIDATING) {
            BatchStore.Counts c = service.store().resultCounts(b.id);
            b.requestCounts.completed = c.completed();
            b.requestCounts.failed = c.failed();
        }
        return b;
    }

    private BatchJob visible(Exchange exchange, Principal principal) {
        String id = HttpParts.segmentAfter(exchange, "batches");
        return service.store().batch(id).filter(b -> b.owner == null || b.owner.visibleTo(principal))
                .orElseThrow(() -> notFound(id));
    }

    static GatewayException notFound(String id) {
        return new GatewayException(404, "invalid_request_error", "batch_id", "batch_not_found",
                "No such Batch object: " + shorten(id == null ? "" : id));
    }

    private static JsonNode body(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw GatewayException.invalid(null, "The request body is empty; expected a JSON object with "
                    + "input_file_id, endpoint and completion_window.");
        }
        try {
            JsonNode n = JSON.readTree(bytes);
            if (n == null || !n.isObject()) {
                throw GatewayException.invalid(null, "The request body must be a JSON object.");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw GatewayException.invalid(null, "We could not parse the JSON body of your request.");
        } catch (IOException e) {
            throw GatewayException.invalid(null, "The request body could not be read.");
        }
    }

    private static String requiredString(JsonNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null || v.isNull()) {
            throw GatewayException.invalid(name, "missing_required_parameter", "Missing required parameter: '"
                    + name + "'.");
        }
        if (!v.isTextual()) {
            throw GatewayException.invalid(name, name + " must be a string.");
        }
        return v.asText();
    }

    /** OpenAI's metadata: at most 16 string pairs, keys up to 64 characters, values up to 512. */
    private static Map<String, String> metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return null;
        }
        if (!m.isObject()) {
            throw GatewayException.invalid("metadata", "metadata must be an object of strings.");
        }
        if (m.size() > 16) {
            throw GatewayException.invalid("metadata", "metadata may have at most 16 keys.");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64) {
                throw GatewayException.invalid("metadata", "metadata keys may have at most 64 characters.");
            }
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw GatewayException.invalid("metadata", "metadata values must be strings of at most 512 "
                        + "characters.");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String shorten(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }
}
