package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.security.Principal;
import io.vertx.core.Vertx;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpServerFileUpload;
import io.vertx.core.http.HttpServerRequest;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The beans of OpenAI's Files API ({@code routes/batches.yaml}, paths in {@code http-endpoints.yaml}):
 * {@code POST /v1/files} (multipart: {@code purpose=batch}, {@code file}), {@code GET /v1/files}
 * ({@code purpose}, {@code limit} ≤ 10,000, {@code order} asc|desc, {@code after}), {@code GET /v1/files/{id}},
 * {@code GET /v1/files/{id}/content}, {@code DELETE /v1/files/{id}}. A virtual key sees only its own files.
 *
 * <p>Uploads are streamed to the store's disk as they arrive ({@link #receive}), never held in memory; their size
 * limit ({@code gateway.batch.maxFileBytes}, 200 MB) is apart from the JSON body limit, and
 * {@link dev.embeddings.gateway.security.RequestAdmission} has refused a request without a valid key before any
 * byte of it is read.
 */
public final class FilesApi {

    private static final Logger LOG = LoggerFactory.getLogger(FilesApi.class);
    /** The purposes a client may upload with. */
    public static final String PURPOSE_BATCH = "batch";
    /** The purpose of the files the gateway writes (batch outputs and errors). */
    public static final String PURPOSE_BATCH_OUTPUT = "batch_output";

    private final BatchService service;

    public FilesApi(BatchService service) {
        this.service = service;
    }

    /** A received upload, staged on disk. */
    public record Upload(Path staged, String filename, String purpose, long bytes) {
    }

    /**
     * How long the file part may end after the whole request body has arrived, in milliseconds: only Vert.x's
     * buffers of it are left to write then. A part still open after that never had its closing boundary (a
     * truncated multipart body): 400 at once rather than the upload timeout.
     */
    static final long PART_END_AFTER_BODY_MS = 5_000;

    /**
     * Camel entry of the {@code POST /v1/files} HTTP route: reads the multipart body (field {@code purpose}, one
     * file part {@code file}) straight to a staging file, and returns the {@link Upload}. GatewayException 415 for
     * another content type, 400 for a missing part, 413 past {@code gateway.batch.maxFileBytes}, 408 when it does not
     * arrive within {@code gateway.batch.uploadTimeoutMs}.
     */
    public Upload receive(Exchange exchange) throws Exception {
        HttpServerRequest request = HttpParts.request(exchange);
        if (request == null) {
            throw GatewayException.invalid(null, "POST /v1/files takes an HTTP multipart upload.");
        }
        String type = request.getHeader("Content-Type");
        if (type == null || !type.toLowerCase(Locale.ROOT).startsWith("multipart/form-data")) {
            throw new GatewayException(415, "invalid_request_error", null, "unsupported_media_type",
                    "POST /v1/files takes multipart/form-data with the fields 'purpose' and 'file'.");
        }
        BatchSettings s = service.settings();
        Path staged = service.store().newStagingFile();
        CompletableFuture<Void> fileDone = new CompletableFuture<>();
        CompletableFuture<Void> requestDone = new CompletableFuture<>();
        AtomicLong bytes = new AtomicLong();
        AtomicBoolean tooLarge = new AtomicBoolean();
        AtomicBoolean extraPart = new AtomicBoolean();
        AtomicReference<String> filename = new AtomicReference<>();
        AtomicReference<AsyncFile> openFile = new AtomicReference<>();
        Vertx vertx = exchange.getContext().getRegistry()
                .findByType(org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.class).stream()
                .findFirst().map(r -> r.vertx()).orElseThrow();
        request.setExpectMultipart(true);
        request.uploadHandler(upload -> {
            if (!"file".equals(upload.name()) || filename.get() != null) {
                extraPart.set(true);
                upload.handler(b -> { });
                return;
            }
            filename.set(upload.filename() == null || upload.filename().isBlank() ? "upload.jsonl"
                    : upload.filename());
            upload.pause();
            vertx.fileSystem()
                    .open(staged.toString(), new OpenOptions().setWrite(true).setTruncateExisting(true))
                    .onComplete(opened -> {
                        if (opened.failed()) {
                            fileDone.completeExceptionally(opened.cause());
                            upload.handler(b -> { });
                            upload.resume();
                            return;
                        }
                        openFile.set(opened.result());
                        stream(upload, opened.result(), s.maxFileBytes(), bytes, tooLarge, fileDone);
                    });
        });
        request.exceptionHandler(requestDone::completeExceptionally);
        request.endHandler(v -> requestDone.complete(null));
        request.resume();
        try {
            requestDone.get(s.uploadTimeoutMs(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            discard(openFile.get(), staged);
            throw new GatewayException(408, "invalid_request_error", null, "request_timeout",
                    "The upload did not arrive within " + s.uploadTimeoutMs() + " ms.");
        } catch (ExecutionException e) {
            throw unreadable(e, openFile.get(), staged);
        }
        if (filename.get() != null) {
            try {
                // the whole body is in: what is left is Vert.x's buffers of the part to write to disk
                fileDone.get(PART_END_AFTER_BODY_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                discard(openFile.get(), staged);
                throw GatewayException.invalid("file", "The upload ended before the closing boundary of its "
                        + "'file' part.");
            } catch (ExecutionException e) {
                throw unreadable(e, openFile.get(), staged);
            }
        }
        if (tooLarge.get()) {
            Files.deleteIfExists(staged);
            throw new GatewayException(413, "invalid_request_error", "file", "file_too_large",
                    "The file is larger than " + s.maxFileBytes() + " bytes, the most one batch file may have.");
        }
        if (filename.get() == null) {
            Files.deleteIfExists(staged);
            throw GatewayException.invalid("file", "missing_required_parameter",
                    "The upload has no 'file' part.");
        }
        if (extraPart.get()) {
            Files.deleteIfExists(staged);
            throw GatewayException.invalid("file", "Send one 'file' part and the 'purpose' field only.");
        }
        String purpose = request.getFormAttribute("purpose");
        return new Upload(staged, filename.get(), purpose, bytes.get());
    }

    /** An upload that failed while being read: discarded, and 400 for the client (the cause logged at DEBUG). */
    private static GatewayException unreadable(ExecutionException e, AsyncFile file, Path staged) throws IOException {
        discard(file, staged);
        LOG.debug("upload failed: {}", e.getCause() == null ? e : e.getCause().toString());
        return GatewayException.invalid("file", "The upload could not be read.");
    }

    /** Closes the staging file if it was opened (an upload given up), and deletes it. */
    private static void discard(AsyncFile file, Path staged) throws IOException {
        if (file != null) {
            file.close();
        }
        Files.deleteIfExists(staged);
    }

    /** Pipes one file part to {@code file}, counting bytes; past {@code max} the rest is read and dropped. */
    private static void stream(HttpServerFileUpload upload, AsyncFile file, long max, AtomicLong bytes,
                               AtomicBoolean tooLarge, CompletableFuture<Void> done) {
        upload.handler(buf -> {
            if (tooLarge.get()) {
                return;
            }
            if (bytes.addAndGet(buf.length()) > max) {
                tooLarge.set(true);
                return;
            }
            file.write(buf);
            if (file.writeQueueFull()) {
                upload.pause();
                file.drainHandler(v -> upload.resume());
            }
        });
        upload.exceptionHandler(e -> file.close().onComplete(c -> done.completeExceptionally(e)));
        upload.endHandler(v -> file.close().onComplete(c -> {
            if (c.succeeded()) {
                done.complete(null);
            } else {
                done.completeExceptionally(c.cause());
            }
        }));
        upload.resume();
    }

    /**
     * Camel entry after {@link #receive}: checks {@code purpose} and stores the file; returns OpenAI's file object.
     * Only {@code purpose=batch} is accepted.
     */
    public void create(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        Upload u = exchange.getMessage().getBody(Upload.class);
        try {
            if (u.purpose() == null || u.purpose().isBlank()) {
                throw GatewayException.invalid("purpose", "missing_required_parameter",
                        "The upload has no 'purpose' field; send purpose=batch.");
            }
            if (!PURPOSE_BATCH.equals(u.purpose())) {
                throw GatewayException.invalid("purpose", "This gateway stores files for batches only: "
                        + "purpose must be 'batch'.");
            }
            StoredFile f = service.store().putFile(Ids.file(), u.filename(), PURPOSE_BATCH, Owner.of(principal),
                    u.staged());
            json(exchange, BatchService.json(f::writeApi));
        } finally {
            Files.deleteIfExists(u.staged());
        }
    }

    /** Camel entry: {@code GET /v1/files}. */
    public void list(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal) {
        String purpose = HttpParts.query(exchange, "purpose");
        String after = HttpParts.query(exchange, "after");
        int limit = intParam(exchange, "limit", 10_000, 1, 10_000);
        String order = HttpParts.query(exchange, "order");
        if (order != null && !order.equals("asc") && !order.equals("desc")) {
            throw GatewayException.invalid("order", "order must be 'asc' or 'desc'.");
        }
        BatchStore.Page<StoredFile> page = service.store().files(viewer(principal), purpose, after, limit,
                "asc".equals(order));
        json(exchange, BatchService.json(g -> {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (StoredFile f : page.items()) {
                f.writeApi(g);
            }
            g.writeEndArray();
            g.writeStringField("first_id", page.items().isEmpty() ? null : page.items().get(0).id());
            g.writeStringField("last_id", page.items().isEmpty() ? null
                    : page.items().get(page.items().size() - 1).id());
            g.writeBooleanField("has_more", page.hasMore());
            g.writeEndObject();
        }));
    }

    /** Camel entry: {@code GET /v1/files/{id}}. */
    public void retrieve(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal) {
        StoredFile f = visibleFile(exchange, principal);
        json(exchange, BatchService.json(f::writeApi));
    }

    /** Camel entry: {@code GET /v1/files/{id}/content}: the bytes, streamed from the store. */
    public void content(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        StoredFile f = visibleFile(exchange, principal);
        InputStream in;
        try {
            in = service.store().openFile(f.id());
        } catch (NoSuchFileException e) {
            throw notFound(f.id());
        }
        exchange.getMessage().setBody(in);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/octet-stream");
        exchange.getMessage().setHeader(Exchange.CONTENT_LENGTH, f.bytes());
        exchange.getMessage().setHeader("Content-Disposition", "attachment; filename=\""
                + f.filename().replaceAll("[\"\\\\\\r\\n]", "_") + "\"");
    }

    /** Camel entry: {@code DELETE /v1/files/{id}}: {@code {"id","object":"file","deleted":true}}. */
    public void delete(Exchange exchange, @ExchangeProperty(Principal.PROPERTY) Principal principal)
            throws IOException {
        StoredFile f = visibleFile(exchange, principal);
        boolean deleted = service.store().deleteFile(f.id());
        if (!deleted) {
            throw notFound(f.id());
        }
        json(exchange, BatchService.json(g -> {
            g.writeStartObject();
            g.writeStringField("id", f.id());
            g.writeStringField("object", "file");
            g.writeBooleanField("deleted", true);
            g.writeEndObject();
        }));
    }

    private StoredFile visibleFile(Exchange exchange, Principal principal) {
        String id = HttpParts.segmentAfter(exchange, "files");
        return service.store().file(id).filter(f -> f.owner() == null || f.owner().visibleTo(principal))
                .orElseThrow(() -> notFound(id));
    }

    /** The owner filter of listings: null (all) for the master key or an open gateway, else the key's own. */
    static Owner viewer(Principal principal) {
        return principal == null || principal.isAdmin() ? null : Owner.of(principal);
    }

    static GatewayException notFound(String id) {
        String shown = id == null ? "" : id.length() > 100 ? id.substring(0, 100) + "…" : id;
        return new GatewayException(404, "invalid_request_error", "file_id", "file_not_found",
                "No such File object: " + shown);
    }

    static int intParam(Exchange exchange, String name, int dflt, int min, int max) {
        String v = HttpParts.query(exchange, name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw GatewayException.invalid(name, name + " must be between " + min + " and " + max + ".");
            }
            return n;
        } catch (NumberFormatException e) {
            throw GatewayException.invalid(name, name + " must be an integer.");
        }
    }

    static void json(Exchange exchange, byte[] body) {
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
    }
}
