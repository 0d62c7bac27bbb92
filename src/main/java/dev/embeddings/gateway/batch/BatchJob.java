package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One batch as the store keeps it: OpenAI's batch object fields (snake_case in JSON) plus what the gateway needs to
 * run it ({@link #owner}, {@link #dispatched}, the lease). A mutable value: the store hands out copies and persists
 * the changes made inside {@link BatchStore#updateBatch}. Status changes only through {@link #moveTo}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public final class BatchJob {

    /** OpenAI's {@code request_counts}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class RequestCounts {
        public int total;
        public int completed;
        public int failed;

        public RequestCounts() {
        }

        public RequestCounts(int total, int completed, int failed) {
            this.total = total;
            this.completed = completed;
            this.failed = failed;
        }
    }

    /** One entry of OpenAI's {@code errors.data}: a problem of the input file, with its line (1-based) when known. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public static final class LineError {
        public String code;
        public String message;
        public String param;
        public Integer line;

        public LineError() {
        }

        public LineError(String code, String message, String param, Integer line) {
            this.code = code;
            this.message = message;
            this.param = param;
            this.line = line;
        }
    }

    public String id;
    public String endpoint;
    public String inputFileId;
    public String completionWindow;
    public BatchStatus status;
    public String outputFileId;
    public String errorFileId;
    public long createdAt;
    public Long inProgressAt;
    public long expiresAt;
    public Long finalizingAt;
    public Long completedAt;
    public Long failedAt;
    public Long expiredAt;
    public Long cancellingAt;
    public Long cancelledAt;
    public RequestCounts requestCounts = new RequestCounts();
    public Map<String, String> metadata;
    public List<LineError> errors;

    // the gateway's own fields (never in the API answer)
    public Owner owner = Owner.OPEN;
    /** Creation time in epoch ms (listings are ordered by it; {@link #createdAt} has seconds). */
    public long createdAtMs;
    /** Every line has been handed to the workers (Kafka: published); a restart only resumes undone lines. */
    public boolean dispatched;
    /**
     * Kafka mode: every line up to this one (1-based) is in the lines topic (published with acks=all), so a dispatcher
     * that takes the batch over after its first one died skips them instead of publishing them twice. Recorded with
     * each lease renewal; 0 in-process (chunks handed to the in-memory queue die with their process).
     */
    public int publishedThrough;
    /** The instance ({@code gateway.instanceName}) now responsible for dispatching or finishing the batch. */
    public String leaseHolder;
    /** Until when (epoch ms) {@link #leaseHolder}'s claim holds without renewal. */
    public long leaseUntil;

    /**
     * Changes the status, stamping its {@code *_at} field with {@code nowSeconds}. IllegalStateException when the
     * state machine ({@link BatchStatus#next()}) does not allow it.
     */
    public BatchJob moveTo(BatchStatus to, long nowSeconds) {
        if (!status.canMoveTo(to)) {
            throw new IllegalStateException("batch " + id + " cannot go from " + status.apiName() + " to "
                    + to.apiName());
        }
        status = to;
        switch (to) {
            case IN_PROGRESS -> inProgressAt = nowSeconds;
            case FINALIZING -> finalizingAt = nowSeconds;
            case COMPLETED -> completedAt = nowSeconds;
            case FAILED -> failedAt = nowSeconds;
            case EXPIRED -> expiredAt = nowSeconds;
            case CANCELLING -> cancellingAt = nowSeconds;
            case CANCELLED -> cancelledAt = nowSeconds;
            default -> { }
        }
        return this;
    }

    public BatchJob copy() {
        BatchJob c = new BatchJob();
        c.id = id;
        c.endpoint = endpoint;
        c.inputFileId = inputFileId;
        c.completionWindow = completionWindow;
        c.status = status;
        c.outputFileId = outputFileId;
        c.errorFileId = errorFileId;
        c.createdAt = createdAt;
        c.inProgressAt = inProgressAt;
        c.expiresAt = expiresAt;
        c.finalizingAt = finalizingAt;
        c.completedAt = completedAt;
        c.failedAt = failedAt;
        c.expiredAt = expiredAt;
        c.cancellingAt = cancellingAt;
        c.cancelledAt = cancelledAt;
        c.requestCounts = new RequestCounts(requestCounts.total, requestCounts.completed, requestCounts.failed);
        c.metadata = metadata == null ? null : new LinkedHashMap<>(metadata);
        c.errors = errors == null ? null : new ArrayList<>(errors);
        c.owner = owner;
        c.createdAtMs = createdAtMs;
        c.dispatched = dispatched;
        c.leaseHolder = leaseHolder;
        c.leaseUntil = leaseUntil;
        return c;
    }

    /** OpenAI's batch object ({@code "object": "batch"}), without the gateway's own fields. */
    public void writeApi(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "batch");
        g.writeStringField("endpoint", endpoint);
        if (errors == null || errors.isEmpty()) {
            g.writeNullField("errors");
        } else {
            g.writeObjectFieldStart("errors");
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (LineError e : errors) {
                g.writeStartObject();
                g.writeStringField("code", e.code);
                g.writeStringField("message", e.message);
                g.writeStringField("param", e.param);
                if (e.line == null) {
                    g.writeNullField("line");
                } else {
                    g.writeNumberField("line", e.line);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeStringField("input_file_id", inputFileId);
        g.writeStringField("completion_window", completionWindow);
        g.writeStringField("status", status.apiName());
        g.writeStringField("output_file_id", outputFileId);
        g.writeStringField("error_file_id", errorFileId);
        g.writeNumberField("created_at", createdAt);
        seconds(g, "in_progress_at", inProgressAt);
        g.writeNumberField("expires_at", expiresAt);
        seconds(g, "finalizing_at", finalizingAt);
        seconds(g, "completed_at", completedAt);
        seconds(g, "failed_at", failedAt);
        seconds(g, "expired_at", expiredAt);
        seconds(g, "cancelling_at", cancellingAt);
        seconds(g, "cancelled_at", cancelledAt);
        g.writeObjectFieldStart("request_counts");
        g.writeNumberField("total", requestCounts.total);
        g.writeNumberField("completed", requestCounts.completed);
        g.writeNumberField("failed", requestCounts.failed);
        g.writeEndObject();
        if (metadata == null) {
            g.writeNullField("metadata");
        } else {
            g.writeObjectFieldStart("metadata");
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void seconds(JsonGenerator g, String name, Long value) throws IOException {
        if (value == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, value);
        }
    }
}
