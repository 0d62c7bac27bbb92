package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.RequestParser;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The lines of a batch input file: OpenAI's format, one JSON object per line,
 * {@code {"custom_id": "...", "method": "POST", "url": "/v1/embeddings", "body": {...}}}. The body is validated by
 * the same {@link RequestParser} as the interactive API (same limits, same field policy), and its {@code model} must
 * be configured.
 */
public final class BatchLines {

    /** Longest {@code custom_id} accepted. */
    public static final int MAX_CUSTOM_ID = 512;
    /** Errors kept in a failed batch's {@code errors} (the rest are counted in a last entry). */
    public static final int MAX_ERRORS = 100;

    private static final ObjectMapper ENVELOPE = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private final RequestParser parser;
    private final ModelRegistry registry;
    private final int maxLines;
    private final int maxLineBytes;

    public BatchLines(RequestParser parser, ModelRegistry registry, int maxLines, int maxLineBytes) {
        this.parser = parser;
        this.registry = registry;
        this.maxLines = maxLines;
        this.maxLineBytes = maxLineBytes;
    }

    /** The outcome of {@link #validate}: the number of requests, and the problems (empty when valid). */
    public record Validation(int total, List<BatchJob.LineError> errors) {
        public boolean valid() {
            return errors.isEmpty();
        }
    }

    /**
     * Reads the whole file and checks every line: JSON object, {@code custom_id} (string, unique, at most
     * {@value #MAX_CUSTOM_ID} characters), {@code method} POST, {@code url} equal to {@code endpoint}, {@code body}
     * a valid embeddings request for a configured model; at most {@code maxLines} requests of at most
     * {@code maxLineBytes} each. Blank lines are skipped (and still counted for line numbers).
     */
    public Validation validate(InputStream in, String endpoint) throws IOException {
        List<BatchJob.LineError> errors = new ArrayList<>();
        int more = 0;
        int total = 0;
        Set<String> ids = new HashSet<>();
        try (LineReader reader = new LineReader(in, maxLineBytes)) {
            LineReader.Line l;
            while ((l = reader.next()) != null) {
                if (l.blank()) {
                    continue;
                }
                total++;
                BatchJob.LineError e = null;
                if (total > maxLines) {
                    e = new BatchJob.LineError("too_many_lines", "The file has more than " + maxLines
                            + " requests, the most one batch may hold.", null, l.number());
                } else if (l.tooLong()) {
                    e = new BatchJob.LineError("line_too_long", "The line is longer than " + maxLineBytes
                            + " bytes.", null, l.number());
                } else {
                    try {
                        BatchLine line = parse(l.number(), l.bytes(), endpoint);
                        if (!ids.add(line.customId())) {
                            e = new BatchJob.LineError("duplicate_custom_id", "The custom_id '"
                                    + shorten(line.customId()) + "' is used by an earlier line; each must be unique.",
                                    "custom_id", l.number());
                        }
                    } catch (LineException le) {
                        e = le.error;
                    }
                }
                if (e != null) {
                    if (errors.size() < MAX_ERRORS) {
                        errors.add(e);
                    } else {
                        more++;
                    }
                }
                if (total > maxLines) {
                    break;
                }
            }
        }
        if (total == 0) {
            errors.add(new BatchJob.LineError("empty_file", "The input file has no requests.", null, null));
        }
        if (more > 0) {
            errors.add(new BatchJob.LineError("too_many_errors", more + " more lines have errors.", null, null));
        }
        return new Validation(Math.min(total, maxLines), errors);
    }

    /** A line that is not a valid request, with its error (code, message, param, line). */
    public static final class LineException extends Exception {
        final BatchJob.LineError error;

        LineException(String code, String message, String param, int line) {
            super(message, null, false, false);
            this.error = new BatchJob.LineError(code, message, param, line);
        }

        public BatchJob.LineError error() {
            return error;
        }
    }

    /** Parses one line (its bytes without the newline); LineException when it is not a valid request. */
    public BatchLine parse(int number, byte[] bytes, String endpoint) throws LineException {
        JsonNode root;
        try {
            root = ENVELOPE.readTree(bytes);
        } catch (JsonProcessingException e) {
            String d = e.getOriginalMessage();
            throw new LineException("invalid_json_line", d != null && d.startsWith("Duplicate field")
                    ? "The line has a key more than once in one object." : "The line is not valid JSON.", null, number);
        } catch (IOException e) {
            throw new LineException("invalid_json_line", "The line is not valid JSON.", null, number);
        }
        if (root == null || !root.isObject()) {
            throw new LineException("invalid_request", "Each line must be a JSON object.", null, number);
        }
        JsonNode id = root.get("custom_id");
        if (id == null || id.isNull()) {
            throw new LineException("missing_required_parameter", "The line has no custom_id.", "custom_id", number);
        }
        if (!id.isTextual() || id.asText().isEmpty() || id.asText().length() > MAX_CUSTOM_ID) {
            throw new LineException("invalid_custom_id", "custom_id must be a string of 1 to " + MAX_CUSTOM_ID
                    + " characters.", "custom_id", number);
        }
        JsonNode method = root.get("method");
        if (method == null || method.isNull()) {
            throw new LineException("missing_required_parameter", "The line has no method.", "method", number);
        }
        if (!"POST".equals(method.asText())) {
            throw new LineException("invalid_method", "method must be POST.", "method", number);
        }
        JsonNode url = root.get("url");
        if (url == null || url.isNull()) {
            throw new LineException("missing_required_parameter", "The line has no url.", "url", number);
        }
        if (!endpoint.equals(url.asText())) {
            throw new LineException("invalid_url", "url must be " + endpoint + ", the batch's endpoint; got '"
                    + shorten(url.asText()) + "'.", "url", number);
        }
        JsonNode body = root.get("body");
        if (body == null || body.isNull()) {
            throw new LineException("missing_required_parameter", "The line has no body.", "body", number);
        }
        if (!body.isObject()) {
            throw new LineException("invalid_request", "body must be a JSON object (an embeddings request).", "body",
                    number);
        }
        EmbeddingRequest request;
        try {
            request = parser.parse(ENVELOPE.writeValueAsBytes(body));
        } catch (GatewayException e) {
            throw new LineException(e.code() != null ? e.code() : "invalid_request", e.getMessage(),
                    e.param() == null ? "body" : "body." + e.param(), number);
        } catch (JsonProcessingException e) {
            throw new LineException("invalid_request", "body could not be read.", "body", number);
        }
        if (registry.group(request.model()).isEmpty()) {
            GatewayException e = GatewayException.modelNotFound(request.model());
            throw new LineException(e.code(), e.getMessage(), "body.model", number);
        }
        return new BatchLine(number, id.asText(), request, bytes);
    }

    public int maxLineBytes() {
        return maxLineBytes;
    }

    private static String shorten(String s) {
        return s.length() > 100 ? s.substring(0, 100) + "…" : s;
    }
}
