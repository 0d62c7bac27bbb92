package dev.embeddings.gateway.normalize;

import dev.embeddings.gateway.provider.JsonVectors;
import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.observe.RequestRecord;
import dev.embeddings.gateway.openai.RequestId;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import org.apache.camel.Exchange;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Turns a provider's {@link EmbeddingResult} into the OpenAI embeddings response, written straight from the
 * vectors with a streaming generator:
 * <pre>{"object":"list","data":[{"object":"embedding","index":i,"embedding":[...]}],"model":"&lt;asked&gt;",
 *  "usage":{"prompt_tokens":n,"total_tokens":n}}</pre>
 * With {@code encoding_format: base64} each {@code embedding} is the base64 of the vector as little-endian float32
 * bytes, as the OpenAI API defines it.
 */
public final class ResponseNormalizer {

    private final JsonFactory json = JsonVectors.FACTORY;

    /** Camel entry: body = EmbeddingResult; sets the body to the UTF-8 JSON bytes, status 200, JSON content type. */
    public void toOpenAi(Exchange exchange) {
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        byte[] body = write(result, call.request().model(), call.request().encodingFormat());
        RequestRecord.tokens(exchange, result.promptTokens());
        exchange.getMessage().setBody(body);
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        RequestId.echo(exchange);
    }

    /** Returns the OpenAI response JSON (UTF-8) for {@code result}; {@code model} is echoed as given. */
    public byte[] write(EmbeddingResult result, String model, EncodingFormat format) {
        float[][] vectors = result.vectors();
        int dims = vectors.length == 0 ? 0 : vectors[0].length;
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 + vectors.length * dims * (format == EncodingFormat.FLOAT ? 12 : 6));
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (int i = 0; i < vectors.length; i++) {
                float[] v = vectors[i];
                g.writeStartObject();
                g.writeStringField("object", "embedding");
                g.writeNumberField("index", i);
                g.writeFieldName("embedding");
                if (format == EncodingFormat.BASE64) {
                    g.writeString(Base64Floats.encode(v));
                } else {
                    JsonVectors.write(g, v);
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
        return out.toByteArray();
    }
}
