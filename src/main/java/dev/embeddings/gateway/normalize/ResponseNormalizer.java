package dev.embeddings.gateway.normalize;

import dev.embeddings.gateway.provider.JsonVectors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.observe.RequestRecord;
import dev.embeddings.gateway.openai.RequestId;
import dev.embeddings.gateway.provider.Base64Vector;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import org.apache.camel.Exchange;

import io.vertx.core.buffer.Buffer;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a provider's {@link EmbeddingResult} into the OpenAI embeddings response, written straight from the
 * vectors with a streaming generator:
 * <pre>{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}],"model":"&lt;asked&gt;",
 *  "usage":{"prompt_tokens":n,"total_tokens":n}}</pre>
 * With {@code encoding_format: base64} each {@code embedding} is the base64 of the vector as little-endian float32
 * bytes, as the OpenAI API defines it: the upstream's own text where it sent base64 (see {@link EmbeddingResult}).
 */
public final class ResponseNormalizer {

    private final JsonFactory json = JsonVectors.FACTORY;

    /**
     * Camel entry: body = EmbeddingResult; sets the body to the UTF-8 JSON as a Vert.x {@link Buffer} (what
     * platform-http writes to the socket as it is: no byte[] copy of a response that can be megabytes), status 200,
     * JSON content type.
     */
    public void toOpenAi(Exchange exchange) {
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        EncodingFormat format = call.request().encodingFormat();
        Buffer body = Buffer.buffer(estimate(result, format));
        write(result, call.request().model(), format, new OutputStream() {
            @Override
            public void write(int b) {
                body.appendByte((byte) b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                body.appendBytes(b, off, len);
            }
        });
        RequestRecord.tokens(exchange, result.promptTokens());
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        RequestId.echo(exchange);
    }

    /**
     * Returns the OpenAI response JSON (UTF-8) for {@code result}; {@code model} is echoed as given. With base64,
     * a vector the upstream sent as base64 is written as the upstream's own text (no decode, no re-encode);
     * others are encoded from their floats.
     */
    public byte[] write(EmbeddingResult result, String model, EncodingFormat format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(estimate(result, format));
        write(result, model, format, out);
        return out.toByteArray();
    }

    /** The response's size, about: what output buffers start with. */
    private static int estimate(EmbeddingResult result, EncodingFormat format) {
        long size = 128 + (long) result.size() * (64 + (long) result.dimensions()
                * (format == EncodingFormat.BASE64 ? 6 : 12));
        return (int) Math.min(size, 64L * 1024 * 1024);
    }

    /** Writes the response JSON (UTF-8) for {@code result} to {@code out}. */
    public void write(EmbeddingResult result, String model, EncodingFormat format, OutputStream out) {
        int n = result.size();
        boolean base64 = format == EncodingFormat.BASE64;
        float[][] vectors = base64 ? null : result.vectors();
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (int i = 0; i < n; i++) {
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                if (base64) {
                    Base64Vector text = result.base64(i);
                    if (text != null) {
                        text.writeTo(g);
                    } else {
                        byte[] b = Base64Floats.encodeAscii(result.vectors()[i]);
                        g.writeRawUTF8String(b, 0, b.length);
                    }
                } else {
                    JsonVectors.write(g, vectors[i]);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeStringField("model", model);
            g.writeObjectFieldStart("usage");
            g.writeNumberField("prompt_tokens", result.promptTokens());
            g.writeNumberField("total_tokens", result.promptTokens());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
