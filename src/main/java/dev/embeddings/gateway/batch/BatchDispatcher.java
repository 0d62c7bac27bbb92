package dev.embeddings.gateway.batch;

import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * The dispatcher of {@code routes/batches.yaml} ({@code seda:batch-dispatch}, body = a batch id): validates a new
 * batch's input file ({@code validating} → {@code in_progress}, or {@code failed} with line-numbered errors, nothing
 * sent upstream), then hands its lines to the workers in chunks, read lazily from the file so that memory stays
 * bounded whatever the file's size. Lines that already have a result (a resumed batch) are skipped. Reading stops
 * when the batch stops running (cancelled).
 */
public final class BatchDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(BatchDispatcher.class);
    /** Exchange property: true when the batch's lines are to be dispatched now. */
    public static final String DISPATCH = "batchDispatch";

    private final BatchService service;

    public BatchDispatcher(BatchService service) {
        this.service = service;
    }

    /**
     * Camel entry (batch id in property {@code batchId}, else the body): takes the batch (unless this process
     * already dispatches it, or another instance holds its lease), validates it when it is new, and sets
     * {@value #DISPATCH}.
     */
    public void begin(Exchange exchange) throws IOException {
        // from the create route: its property (the body is its answer); from the supervisor: the body
        String batchId = exchange.getProperty(BatchesApi.BATCH_ID, String.class);
        if (batchId == null) {
            batchId = exchange.getMessage().getBody(String.class);
        }
        exchange.setProperty(BatchesApi.BATCH_ID, batchId);
        exchange.setProperty(DISPATCH, false);
        if (!service.startDispatching(batchId)) {
            exchange.setProperty(BatchesApi.BATCH_ID, null);
            return;
        }
        BatchJob b = service.claim(batchId, EnumSet.of(BatchStatus.VALIDATING, BatchStatus.IN_PROGRESS));
        if (b == null) {
            return;
        }
        if (b.status == BatchStatus.VALIDATING) {
            b = validate(b);
        }
        exchange.setProperty(DISPATCH, b.status == BatchStatus.IN_PROGRESS);
    }

    private BatchJob validate(BatchJob b) throws IOException {
        BatchLines.Validation v;
        try (InputStream in = service.store().openFile(b.inputFileId)) {
            v = service.lines().validate(in, b.endpoint);
        } catch (NoSuchFileException e) {
            v = new BatchLines.Validation(0, List.of(new BatchJob.LineError("file_not_found",
                    "The input file " + b.inputFileId + " was deleted before the batch started.", "input_file_id",
                    null)));
        }
        BatchLines.Validation result = v;
        long now = BatchService.nowSeconds();
        BatchJob after = service.update(b.id, x -> {
            if (x.status != BatchStatus.VALIDATING) {
                return null;
            }
            x.requestCounts.total = result.total();
            if (result.valid()) {
                x.moveTo(BatchStatus.IN_PROGRESS, now);
            } else {
                x.errors = result.errors();
                x.moveTo(BatchStatus.FAILED, now);
            }
            return x;
        });
        if (after.status == BatchStatus.FAILED) {
            LOG.info("batch {} failed validation: {} error(s), first on line {}: {}", b.id, result.errors().size(),
                    result.errors().get(0).line, result.errors().get(0).message);
        } else if (after.status == BatchStatus.IN_PROGRESS) {
            LOG.info("batch {} in progress: {} requests from {}", b.id, after.requestCounts.total, b.inputFileId);
        }
        return after;
    }

    /**
     * Camel entry (the Splitter's expression): the batch's undone lines as {@link WorkChunk}s of up to
     * {@code gateway.batch.linesPerCall} compatible consecutive lines, read from the file as the Splitter asks
     * for them. In-process mode counts each chunk as in flight here until its worker ends it.
     */
    public Iterator<WorkChunk> chunks(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId) throws IOException {
        BatchJob b = service.store().batch(batchId).orElseThrow(() -> new NoSuchFileException(batchId));
        BitSet done = service.store().doneLines(batchId);
        InputStream in = service.store().openFile(b.inputFileId);
        return new ChunkIterator(b, done, new LineReader(in, service.settings().maxLineBytes()));
    }

    /** Camel entry after the Splitter: every line was handed over. */
    public void dispatched(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId) {
        service.update(batchId, b -> {
            if (b.dispatched && b.leaseHolder == null) {
                return null;
            }
            b.dispatched = true;
            if (service.instance().equals(b.leaseHolder)) {
                b.leaseHolder = null;
                b.leaseUntil = 0;
            }
            return b;
        });
    }

    /** Camel entry in the route's doFinally: this process no longer dispatches the batch. */
    public void release(@ExchangeProperty(BatchesApi.BATCH_ID) String batchId) {
        if (batchId != null) {
            service.endDispatching(batchId);
        }
    }

    private final class ChunkIterator implements Iterator<WorkChunk> {
        private final BatchJob batch;
        private final BitSet done;
        private final LineReader reader;
        private final WorkChunk.Chunker chunker;
        private final boolean countInFlight = !service.settings().kafka();
        /** The last line of the chunks handed out so far (Kafka: published, as the Splitter publishes synchronously). */
        private int handedOutThrough;
        private final java.util.ArrayDeque<WorkChunk> ready = new java.util.ArrayDeque<>();
        private int requests;
        private boolean eof;
        private boolean closed;
        private long renewAt = System.currentTimeMillis() + service.settings().leaseMs() / 3;

        ChunkIterator(BatchJob batch, BitSet done, LineReader reader) {
            this.batch = batch;
            this.done = done;
            this.reader = reader;
            this.chunker = new WorkChunk.Chunker(batch.id, service.settings().linesPerCall());
        }

        @Override
        public boolean hasNext() {
            if (ready.isEmpty() && !closed) {
                fill();
            }
            return !ready.isEmpty();
        }

        @Override
        public WorkChunk next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            WorkChunk c = ready.poll();
            handedOutThrough = Math.max(handedOutThrough, c.lastLine());
            if (countInFlight) {
                service.chunkOpened(c.batchId());
            }
            return c;
        }

        /** Reads lines until at least one chunk is ready or the file (or the batch) ends. */
        private void fill() {
            try {
                BatchStatus status = service.status(batch.id);
                if (status == null || !status.isRunning()) {
                    ready.clear();
                    close();
                    return;
                }
                if (System.currentTimeMillis() > renewAt) {
                    // the Splitter asks for more only once the chunks it had are published: record how far that is
                    service.renewLease(batch.id, countInFlight ? 0 : handedOutThrough);
                    renewAt = System.currentTimeMillis() + service.settings().leaseMs() / 3;
                }
                while (ready.isEmpty() && !eof) {
                    LineReader.Line l = requests < batch.requestCounts.total ? reader.next() : null;
                    if (l == null) {
                        eof = true;
                        add(chunker.flush());
                        break;
                    }
                    if (l.blank()) {
                        continue;
                    }
                    requests++;
                    if (done.get(l.number()) || (!countInFlight && l.number() <= batch.publishedThrough)) {
                        continue;
                    }
                    try {
                        add(chunker.add(service.lines().parse(l.number(), l.bytes(), batch.endpoint)));
                    } catch (BatchLines.LineException e) {
                        // valid when the batch was validated, not now (e.g. the config lost its model)
                        LOG.warn("batch {} line {}: {}", batch.id, l.number(), e.getMessage());
                        add(chunker.flush());
                        add(WorkChunk.failedLine(batch.id, l.number(), e.error()));
                    }
                }
                if (eof && ready.isEmpty()) {
                    close();
                }
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(e);
            }
        }

        private void add(WorkChunk c) {
            if (c != null) {
                ready.add(c);
            }
        }

        private void close() {
            closed = true;
            try {
                reader.close();
            } catch (IOException ignored) {
                // read-only
            }
        }
    }
}
