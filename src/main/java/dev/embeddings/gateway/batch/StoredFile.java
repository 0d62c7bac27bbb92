package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/**
 * A file of the Files API, as stored: OpenAI's file object fields plus its owner.
 *
 * @param id        {@code file-…}
 * @param bytes     size of the content
 * @param createdAtMs creation time, epoch milliseconds (listings are ordered by it)
 * @param filename  as uploaded (or {@code <batch id>_output.jsonl} for outputs)
 * @param purpose   {@code batch} (uploads), {@code batch_output} (output and error files)
 * @param owner     who uploaded it (outputs: the batch's owner)
 */
public record StoredFile(String id, long bytes, long createdAtMs, String filename, String purpose, Owner owner) {

    /** OpenAI's {@code created_at}: Unix seconds. */
    public long createdAt() {
        return createdAtMs / 1000;
    }

    /** OpenAI's file object: {@code {"id","object":"file","bytes","created_at","filename","purpose","status",...}}. */
    public void writeApi(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "file");
        g.writeNumberField("bytes", bytes);
        g.writeNumberField("created_at", createdAt());
        g.writeStringField("filename", filename);
        g.writeStringField("purpose", purpose);
        g.writeStringField("status", "processed");
        g.writeNullField("expires_at");
        g.writeNullField("status_details");
        g.writeEndObject();
    }
}
