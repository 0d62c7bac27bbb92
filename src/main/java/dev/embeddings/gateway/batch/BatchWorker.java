package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.normalize.ResponseNormalizer;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.RequestId;
import dev.embeddings.gateway.pipeline.KafkaPipeline;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.security.KeyAuthenticator;
import dev.embeddings.gateway.security.Principal;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The worker steps of {@code direct:batch-work} (routes/batches.yaml): one {@link WorkChunk} of lines through the
 * shared core {@code direct:embed}, as its owner's principal, within the {@link BatchThrottle}'s share. The route
 * holds the loop (Loop, Delay, doTry); this bean the policy:
 * <ul>
 *   <li>{@link #await}: stops the chunk when its batch no longer runs (cancelled, expired), else waits for the
 *       throttle.</li>
 *   <li>{@link #succeeded}: slices the vectors back per line and writes each line's output line: the same OpenAI
 *       response the interactive API gives ({@link ResponseNormalizer}), in the line's {@code encoding_format};
 *       usage is the line's share of the call's tokens (by input length; exact for a line alone).</li>
 *   <li>{@link #failed}: a 429 pauses the model's batch work (Retry-After) and tries again, however often, until
 *       the batch expires; 408/502/503/504 and unexpected failures try again after a back-off, up to
 *       {@code gateway.batch.maxAttempts}, then the lines fail with that error; any other error fails the lines at
 *       once, after trying them one by one when several shared the call and the fault may be one line's.</li>
 * </ul>
 */
public final class BatchWorker {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWorker.class);
    /** Exchange property: the chunk being worked on. */
    public static final String CHUNK = "batchChunk";
    /** Exchange property: whether the loop should run again. */
    public static final String PENDING = "batchChunkPending";
    /** Exchange property: ms the Delay step waits before the next try. */
    public static final String DELAY = "batchRetryDelayMs";
    /** Exchange property: the chunk's part holds a throttle permit (released by succeeded / failed). */
    private static final String ACQUIRED = "batchThrottleAcquired";

    private final BatchService service;
    private final ResponseNormalizer normalizer;
    private final KeyAuthenticator auth;

    public BatchWorker(BatchService service, ResponseNormalizer normalizer, KeyAuthenticator auth) {
        this.service = service;
        this.normalizer = normalizer;
        this.auth = auth;
    }

    /** Camel entry: body = WorkChunk. */
    public void begin(Exchange exchange) {
        WorkChunk chunk = exchange.getMessage().getBody(WorkChunk.class);
        exchange.setProperty(CHUNK, chunk);
        exchange.setProperty(BatchesApi.BATCH_ID, chunk.batchId());
        exchange.setProperty(PENDING, chunk.pending());
        exchange.setProperty(DELAY, 0L);
        BatchService.Facts f = service.facts(chunk.batchId());
        exchange.setProperty(Principal.PROPERTY, (f == null ? Owner.OPEN : f.owner()).principal());
    }

    /** Camel entry at the top of each try: the batch still runs, and the throttle lets the call start. */
    public void await(@ExchangeProperty(CHUNK) WorkChunk chunk, Exchange exchange) throws InterruptedException {
        exchange.setProperty(DELAY, 0L);
        BatchStatus status = service.status(chunk.batchId());
        if (status == null || !status.isRunning()) {
            chunk.abandon();
            exchange.setProperty(PENDING, false);
            return;
        }
        service.throttle().acquire(chunk.model(), chunk.estimatedTokens());
        exchange.setProperty(ACQUIRED, true);
    }

    /**
     * Camel entry before {@code direct:embed}: the body is the current part's request (its lines' inputs in line
     * order; the principal, set by {@link #begin}, is the batch owner's), and nothing of a previous try is left on
     * the exchange.
     */
    public void request(@ExchangeProperty(CHUNK) WorkChunk chunk, Exchange exchange) {
        exchange.removeProperty(EmbeddingCall.PROPERTY);
        exchange.setProperty(RequestId.PROPERTY, UUID.randomUUID().toString());
        // the owner's key as the key store has it now: its models and budget apply to every try, and a key deleted,
        // blocked or expired since stops its batch's lines (401)
        exchange.setProperty(Principal.PROPERTY, auth.current(exchange.getProperty(Principal.PROPERTY,
                Principal.class)));
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(chunk.currentRequest());
    }

    /** Camel entry after {@code direct:embed}: body = EmbeddingResult of the current part. */
    public void succeeded(@ExchangeProperty(CHUNK) WorkChunk chunk, Exchange exchange) {
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        List<BatchLine> part = chunk.current();
        int estimate = chunk.estimatedTokens();
        release(exchange, chunk, BatchThrottle.Outcome.OK, null, Math.max(0, result.promptTokens() - estimate));
        float[][] v = result.vectors();
        int inputs = 0;
        for (BatchLine l : part) {
            inputs += l.request().size();
        }
        String requestId = exchange.getProperty(RequestId.PROPERTY, String.class);
        if (v.length != inputs) {
            GatewayException e = new GatewayException(502, "api_error", null, "upstream_error",
                    "The embeddings core returned " + v.length + " vectors for " + inputs + " inputs.");
            chunk.partDone(errors(part, e, requestId));
        } else {
            long[] weights = new long[part.size()];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = Math.max(1, part.get(i).request().inputLength());
            }
            int[] tokens = KafkaPipeline.apportion(result.promptTokens(), weights);
            List<LineResult> out = new ArrayList<>(part.size());
            int from = 0;
            for (int i = 0; i < part.size(); i++) {
                BatchLine l = part.get(i);
                int n = l.request().size();
                float[][] mine = new float[n][];
                System.arraycopy(v, from, mine, 0, n);
                from += n;
                byte[] body = normalizer.write(new EmbeddingResult(mine, tokens[i]), l.request().model(),
                        l.request().encodingFormat());
                out.add(new LineResult(l.line(), true, outputLine(l.customId(), 200, requestId, body)));
            }
            chunk.partDone(out);
        }
        exchange.setProperty(PENDING, chunk.pending());
    }

    /** Camel entry in the doCatch around {@code direct:embed}. */
    public void failed(@ExchangeProperty(CHUNK) WorkChunk chunk, Exchange exchange) {
        Throwable caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        GatewayException e = classify(exchange, caught);
        String requestId = exchange.getProperty(RequestId.PROPERTY, String.class);
        BatchSettings s = service.settings();
        if (e.status() == 429) {
            release(exchange, chunk, BatchThrottle.Outcome.RATE_LIMITED, e.retryAfterSeconds(), 0);
            LOG.debug("batch {}: 429 from model {}, pausing its batch work", chunk.batchId(), chunk.model());
        } else if (GatewayException.ROUTES_RELOADING.equals(e.code())) {
            release(exchange, chunk, BatchThrottle.Outcome.OTHER, null, 0);
            chunk.setRetryDelayMs(1000);
        } else if (KafkaPipeline.RETRYABLE.contains(e.status()) || e.status() == 500) {
            release(exchange, chunk, BatchThrottle.Outcome.OTHER, null, 0);
            int attempts = chunk.failedAttempt();
            if (attempts < s.maxAttempts()) {
                chunk.setRetryDelayMs(Math.min(s.maxBackoffMs(), 500L << Math.min(attempts - 1, 16)));
            } else {
                LOG.warn("batch {}: {} lines failed after {} tries: {} {}", chunk.batchId(), chunk.current().size(),
                        attempts, e.status(), e.getMessage());
                chunk.partDone(errors(chunk.current(), e, requestId));
            }
        } else {
            release(exchange, chunk, BatchThrottle.Outcome.OTHER, null, 0);
            // split to isolate a bad line, unless the error is about the whole part (its model, its key)
            if (chunk.current().size() > 1 && e.status() != 401 && !"model".equals(e.param())
                    && !"dimensions".equals(e.param())) {
                chunk.splitCurrent();
            } else {
                chunk.partDone(errors(chunk.current(), e, requestId));
            }
        }
        exchange.setProperty(DELAY, chunk.retryDelayMs());
        exchange.setProperty(PENDING, chunk.pending());
    }

    /**
     * Camel entry at the end of {@code direct:batch-work}: the body becomes the chunk's results (empty for an
     * abandoned chunk).
     */
    public List<LineResult> end(@ExchangeProperty(CHUNK) WorkChunk chunk) {
        return chunk.results();
    }

    /**
     * Camel entry once the chunk's results are recorded (or sent on) or it failed: it no longer counts as in flight
     * here, so a cancel can finish.
     */
    public void close(Exchange exchange) {
        WorkChunk chunk = exchange.getProperty(CHUNK, WorkChunk.class);
        if (chunk == null) {
            chunk = exchange.getMessage().getBody(WorkChunk.class);
        }
        if (chunk != null) {
            service.chunkClosed(chunk.batchId());
        }
    }

    private void release(Exchange exchange, WorkChunk chunk, BatchThrottle.Outcome outcome, Integer retryAfter,
                         long extraTokens) {
        if (Boolean.TRUE.equals(exchange.removeProperty(ACQUIRED))) {
            service.throttle().release(chunk.model(), outcome, retryAfter, extraTokens);
        }
    }

    /** The core's verdict on a failure (as the HTTP API maps it); unexpected failures are a retryable 500. */
    static GatewayException classify(Exchange exchange, Throwable caught) {
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        GatewayException e = call == null ? null : UpstreamErrors.fromThrowable(call.deployment(), caught);
        if (e != null) {
            return e;
        }
        for (Throwable t = caught; t != null; t = t.getCause()) {
            if (t instanceof GatewayException g) {
                return g;
            }
        }
        return ErrorResponder.toGatewayException(caught);
    }

    private static List<LineResult> errors(List<BatchLine> part, GatewayException e, String requestId) {
        byte[] body = ErrorResponder.body(e);
        List<LineResult> out = new ArrayList<>(part.size());
        for (BatchLine l : part) {
            out.add(new LineResult(l.line(), false, outputLine(l.customId(), e.status(), requestId, body)));
        }
        return out;
    }

    /** OpenAI's batch output line: {@code {"id","custom_id","response":{"status_code","request_id","body"},"error"}}. */
    static byte[] outputLine(String customId, int status, String requestId, byte[] body) {
        return BatchService.json(g -> {
            g.writeStartObject();
            g.writeStringField("id", Ids.request());
            g.writeStringField("custom_id", customId);
            g.writeObjectFieldStart("response");
            g.writeNumberField("status_code", status);
            g.writeStringField("request_id", requestId);
            g.writeFieldName("body");
            g.writeRawValue(new String(body, java.nio.charset.StandardCharsets.UTF_8));
            g.writeEndObject();
            g.writeNullField("error");
            g.writeEndObject();
        });
    }
}
