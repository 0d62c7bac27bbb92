package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.openai.RequestParser;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Lines of one batch that are embedded together: they share model, dimensions, user and options, so their inputs go
 * through the core in one call (in line order) and the vectors are sliced back per line. Also the worker's state
 * while it does so: the part being tried (the whole chunk, or one line at a time after a failure that may be one
 * line's), its attempts, and the results so far.
 */
public final class WorkChunk {

    private final String batchId;
    private final List<BatchLine> lines;
    private final Deque<List<BatchLine>> parts = new ArrayDeque<>();
    private final List<LineResult> results = new ArrayList<>();
    private int attempts;
    private long retryDelayMs;
    private boolean abandoned;

    public WorkChunk(String batchId, List<BatchLine> lines) {
        this.batchId = batchId;
        this.lines = List.copyOf(lines);
        parts.add(this.lines);
    }

    /**
     * A chunk whose one line is already known to fail (it no longer validates): its result is the error line,
     * nothing is embedded.
     */
    public static WorkChunk failedLine(String batchId, int line, BatchJob.LineError error) {
        WorkChunk c = new WorkChunk(batchId, List.of());
        c.parts.clear();
        dev.embeddings.gateway.openai.GatewayException e = new dev.embeddings.gateway.openai.GatewayException(400,
                "invalid_request_error", error.param, error.code, error.message);
        c.results.add(new LineResult(line, false, BatchWorker.outputLine(null, 400, null,
                dev.embeddings.gateway.openai.ErrorResponder.body(e))));
        return c;
    }

    public String batchId() {
        return batchId;
    }

    public List<BatchLine> lines() {
        return lines;
    }

    /** The highest line number it holds (its lines, or the line of a {@link #failedLine}); 0 when none. */
    public int lastLine() {
        int last = 0;
        for (BatchLine l : lines) {
            last = Math.max(last, l.line());
        }
        for (LineResult r : results) {
            last = Math.max(last, r.line());
        }
        return last;
    }

    /** The model group the lines ask for (the throttle's key). */
    public String model() {
        return lines.isEmpty() ? "" : lines.get(0).request().model();
    }

    /** Lines still to try, or false once every line has a result or the chunk was abandoned. */
    public boolean pending() {
        return !abandoned && !parts.isEmpty();
    }

    /** The lines of the part being tried. */
    public List<BatchLine> current() {
        return parts.peek();
    }

    /** The core request for the current part: its lines' inputs in line order, float vectors. */
    public EmbeddingRequest currentRequest() {
        return combine(current());
    }

    /** The current part is done with these results; the next part (if any) starts with no attempts. */
    public void partDone(List<LineResult> partResults) {
        results.addAll(partResults);
        parts.poll();
        attempts = 0;
        retryDelayMs = 0;
    }

    /** Tries the current part's lines one by one from now on (a failure that may be one line's). */
    public void splitCurrent() {
        List<BatchLine> part = parts.poll();
        for (int i = part.size() - 1; i >= 0; i--) {
            parts.addFirst(List.of(part.get(i)));
        }
        attempts = 0;
        retryDelayMs = 0;
    }

    /** The batch is no longer running (cancelled, expired): the remaining lines stay undone. */
    public void abandon() {
        abandoned = true;
    }

    public boolean abandoned() {
        return abandoned;
    }

    /** Counts a failed attempt of the current part and returns the count. */
    public int failedAttempt() {
        return ++attempts;
    }

    public long retryDelayMs() {
        return retryDelayMs;
    }

    public void setRetryDelayMs(long ms) {
        retryDelayMs = Math.max(0, ms);
    }

    public List<LineResult> results() {
        return results;
    }

    /** A rough token count of the current part (characters / 4, or the token ids), for the tpm share. */
    public int estimatedTokens() {
        long n = 0;
        for (BatchLine l : current()) {
            EmbeddingRequest q = l.request();
            if (q.texts() != null) {
                for (String t : q.texts()) {
                    n += (t.length() + 3) / 4;
                }
            } else {
                for (int[] ids : q.tokenIds()) {
                    n += ids.length;
                }
            }
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, n));
    }

    static EmbeddingRequest combine(List<BatchLine> part) {
        EmbeddingRequest first = part.get(0).request();
        if (part.size() == 1) {
            return new EmbeddingRequest(first.model(), first.texts(), first.tokenIds(), EncodingFormat.FLOAT,
                    first.dimensions(), first.user(), first.extras());
        }
        if (first.texts() != null) {
            List<String> texts = new ArrayList<>();
            part.forEach(l -> texts.addAll(l.request().texts()));
            return new EmbeddingRequest(first.model(), texts, null, EncodingFormat.FLOAT, first.dimensions(),
                    first.user(), first.extras());
        }
        List<int[]> ids = new ArrayList<>();
        part.forEach(l -> ids.addAll(l.request().tokenIds()));
        return new EmbeddingRequest(first.model(), null, ids, EncodingFormat.FLOAT, first.dimensions(), first.user(),
                first.extras());
    }

    /** What lines must share to be embedded in one call. */
    private record Key(String model, Integer dimensions, boolean tokenIds, String user, Map<String, JsonNode> extras) {
        static Key of(EmbeddingRequest q) {
            return new Key(q.model(), q.dimensions(), q.tokenIds() != null, q.user(), q.extras());
        }
    }

    /**
     * Forms chunks from a stream of lines of one batch: consecutive lines that can share a call, at most
     * {@code maxLines} of them and {@value RequestParser#MAX_INPUTS} inputs.
     */
    public static final class Chunker {
        private final String batchId;
        private final int maxLines;
        private final List<BatchLine> open = new ArrayList<>();
        private Key key;
        private int inputs;

        public Chunker(String batchId, int maxLines) {
            this.batchId = batchId;
            this.maxLines = maxLines;
        }

        /** Adds a line; returns the chunk it closed (the line did not fit it), or null. */
        public WorkChunk add(BatchLine line) {
            Key k = Key.of(line.request());
            WorkChunk closed = null;
            if (!open.isEmpty() && (!Objects.equals(k, key) || open.size() >= maxLines
                    || inputs + line.request().size() > RequestParser.MAX_INPUTS)) {
                closed = flush();
            }
            if (open.isEmpty()) {
                key = k;
            }
            open.add(line);
            inputs += line.request().size();
            return closed;
        }

        /** The open chunk, or null when there is none. */
        public WorkChunk flush() {
            if (open.isEmpty()) {
                return null;
            }
            WorkChunk c = new WorkChunk(batchId, open);
            open.clear();
            inputs = 0;
            return c;
        }

        /** Chunks of lines that need not be consecutive (a Kafka poll): grouped by what they share, in order. */
        public static List<WorkChunk> group(String batchId, List<BatchLine> lines, int maxLines) {
            Map<Key, Chunker> byKey = new LinkedHashMap<>();
            List<WorkChunk> out = new ArrayList<>();
            for (BatchLine l : lines) {
                WorkChunk c = byKey.computeIfAbsent(Key.of(l.request()), k -> new Chunker(batchId, maxLines)).add(l);
                if (c != null) {
                    out.add(c);
                }
            }
            byKey.values().forEach(c -> {
                WorkChunk last = c.flush();
                if (last != null) {
                    out.add(last);
                }
            });
            return out;
        }
    }
}
