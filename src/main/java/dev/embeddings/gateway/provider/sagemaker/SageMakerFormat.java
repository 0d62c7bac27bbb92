package dev.embeddings.gateway.provider.sagemaker;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.OpenAiFormat;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The body formats of SageMaker embedding endpoints ({@code litellm_params.sagemaker_format}); all JSON with
 * {@code ContentType} and {@code Accept} {@code application/json}.
 * <ul>
 *   <li>{@link #TEXT_INPUTS} ({@code text_inputs}, the default): SageMaker JumpStart text-embedding models (e.g.
 *       GPT-J 6B embedding). Request {@code {"text_inputs":[…]}}; answer {@code {"embedding":[[…]…]}}.</li>
 *   <li>{@link #INPUTS} ({@code inputs}): Hugging Face containers (the HF inference toolkit's feature-extraction
 *       task with a sentence-embedding model, and Text Embeddings Inference). Request {@code {"inputs":[…]}};
 *       answer {@code [[…]…]}.</li>
 *   <li>{@link #OPENAI} ({@code openai}): containers serving the OpenAI embeddings API (vLLM, TEI's /v1). Request
 *       {@link OpenAiFormat#request} without {@code model}; answer {@code {"data":[{"index","embedding"}],
 *       "usage"}}.</li>
 * </ul>
 * Token counts: the {@code openai} answer's {@code usage.prompt_tokens}, else cl100k_base's count.
 */
public enum SageMakerFormat {

    TEXT_INPUTS("text_inputs"),
    INPUTS("inputs"),
    OPENAI("openai");

    private final String configName;

    SageMakerFormat(String configName) {
        this.configName = configName;
    }

    /** The {@code sagemaker_format} value, or null when it names no format. */
    public static SageMakerFormat of(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (SageMakerFormat f : values()) {
            if (f.configName.equals(n)) {
                return f;
            }
        }
        return null;
    }

    /** The accepted {@code sagemaker_format} values, for error messages. */
    public static String names() {
        return Arrays.stream(values()).map(f -> f.configName).collect(Collectors.joining(", "));
    }

    public String configName() {
        return configName;
    }

    /** The InvokeEndpoint body for a batch of texts, UTF-8 JSON. */
    public byte[] request(Batch batch, EmbeddingRequest req, boolean withDimensions) {
        if (this == OPENAI) {
            return OpenAiFormat.request(batch, req, null, withDimensions);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeArrayFieldStart(configName);
            for (String t : batch.texts()) {
                g.writeString(t);
            }
            g.writeEndArray();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Parses an InvokeEndpoint answer for a batch. Throws GatewayException 502 when the body is not this format or
     * holds a different number of vectors than inputs.
     */
    public BatchResult parse(byte[] body, Batch batch, String provider) {
        if (this == OPENAI) {
            return OpenAiFormat.response(body, batch, provider);
        }
        float[][] vectors = this == INPUTS ? inputs(body, provider)
                : UpstreamJson.read(body, provider, SageMakerFormat::textInputs).vectors;
        if (vectors == null) {
            throw UpstreamErrors.unparseable(provider, "no embedding array");
        }
        UpstreamJson.checkCount(provider, vectors.length, batch.size());
        return new BatchResult(batch.offset(), vectors, batch.countTokens());
    }

    /** An {@code inputs} answer: the body is the array of vectors. */
    private static float[][] inputs(byte[] body, String provider) {
        try (JsonParser p = JsonVectors.FACTORY.createParser(body)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw UpstreamErrors.unparseable(provider, "expected a JSON array of embeddings");
            }
            return matrix(p, provider);
        } catch (IOException e) {
            throw UpstreamErrors.unparseable(provider, "invalid JSON");
        }
    }

    /** A {@code text_inputs} answer's fields: {@code embedding}, the array of vectors. */
    private static boolean textInputs(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("embedding".equals(f) && v == JsonToken.START_ARRAY) {
            a.vectors = matrix(p, a.provider);
            return true;
        }
        return false;
    }

    /** [[…]…] → float[n][d]; token-level [n][t][d] answers (a model without pooling) are refused. */
    private static float[][] matrix(JsonParser p, String provider) throws IOException {
        try {
            float[][] m = JsonVectors.matrix(p);
            for (float[] v : m) {
                if (v.length == 0) {
                    throw UpstreamErrors.unparseable(provider, "an empty embedding");
                }
            }
            return m;
        } catch (IOException e) {
            if (p.currentToken() == JsonToken.START_ARRAY) {
                throw UpstreamErrors.unparseable(provider, "token-level embeddings (one vector per token); deploy a "
                        + "sentence-embedding model or Text Embeddings Inference");
            }
            throw e;
        }
    }
}
