package dev.embeddings.gateway.provider.bedrock;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;
import dev.embeddings.gateway.provider.cohere.CohereAdapter;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Bedrock embedding model families and their InvokeModel bodies, as documented in the Bedrock user guide
 * ("Inference request parameters and response fields for foundation models"). All bodies are JSON,
 * {@code contentType} and {@code accept} {@code application/json}.
 * <ul>
 *   <li>{@link #TITAN_V1}: {@code amazon.titan-embed-text-v1}, {@code amazon.titan-embed-g1-text-02}; one input per
 *       call. Request {@code {"inputText"}}; answer {@code {"embedding":[1536 floats],"inputTextTokenCount":n}}.</li>
 *   <li>{@link #TITAN_V2}: {@code amazon.titan-embed-text-v2:0}; one input per call. Request
 *       {@code {"inputText","dimensions"?,"normalize"}}, {@code dimensions} 256 | 512 | 1024 (default 1024),
 *       {@code normalize} default true; same answer as v1.</li>
 *   <li>{@link #TITAN_MULTIMODAL}: {@code amazon.titan-embed-image-v1} (Titan Multimodal Embeddings G1); one input per
 *       call, a text ({@code {"inputText"}}) or an image ({@code {"inputImage": <base64, no data: prefix>}}), with
 *       {@code embeddingConfig.outputEmbeddingLength} 256 | 384 | 1024 (default 1024); images up to 25 MB; same
 *       answer as v1.</li>
 *   <li>{@link #COHERE_V3}: {@code cohere.embed-english-v3}, {@code cohere.embed-multilingual-v3}; up to 96 texts
 *       per call. Request {@code {"texts":[…],"input_type","truncate"?}}; answer
 *       {@code {"embeddings":[[1024 floats]…],"id","response_type":"embeddings_floats","texts"}} (no token
 *       count).</li>
 *   <li>{@link #COHERE_V4}: {@code cohere.embed-v4:0}; as v3 plus {@code "embedding_types":["float"]} and
 *       {@code output_dimension} 256 | 512 | 1024 | 1536 (default 1536); answer
 *       {@code {"embeddings":{"float":[[…]…]},"response_type":"embeddings_by_type",…}}.</li>
 * </ul>
 * Cohere families take one image per call as {@code {"images": ["data:image/...;base64,..."], "input_type": "image"}}
 * (5 MB at most). Limits checked before any call: Titan text 50,000 characters and 8,192 tokens per input, Cohere v3
 * 2,048 characters per text.
 * Model ids may carry a cross-region inference profile prefix ({@code us.}, {@code eu.}, {@code apac.},
 * {@code global.}, …). Answers of either Cohere shape are accepted for both Cohere families.
 */
public enum BedrockFamily {

    TITAN_V1(1, Set.of(), Set.of()),
    TITAN_V2(1, Set.of(256, 512, 1024), Set.of("normalize")),
    TITAN_MULTIMODAL(1, Set.of(256, 384, 1024), Set.of()),
    COHERE_V3(96, Set.of(), Set.of("input_type", "truncate")),
    COHERE_V4(96, Set.of(256, 512, 1024, 1536), Set.of("input_type", "truncate"));

    /** Titan text models: at most 50,000 characters and 8,192 tokens per input (cl100k_base as the estimate). */
    static final dev.embeddings.gateway.provider.InputLimits TITAN_LIMITS =
            new dev.embeddings.gateway.provider.InputLimits(50_000, 8192);
    /** Cohere Embed v3 on Bedrock: at most 2,048 characters per text. */
    static final dev.embeddings.gateway.provider.InputLimits COHERE_V3_LIMITS =
            new dev.embeddings.gateway.provider.InputLimits(2048, 0);
    /** Titan Multimodal G1: images up to 25 MB. */
    static final long TITAN_IMAGE_BYTES = 25L * 1024 * 1024;
    /** Cohere Embed v3/v4: images up to 5 MB. */
    static final long COHERE_IMAGE_BYTES = 5L * 1024 * 1024;

    /** Cohere's input_type when the client sent none (LiteLLM's default too). */
    public static final String DEFAULT_INPUT_TYPE = "search_document";
    private static final Pattern PROFILE_PREFIX = Pattern.compile(
            "^(?:us|us-gov|eu|apac|ap|jp|au|ca|sa|amer|global)\\.");

    private final int maxBatch;
    private final Set<Integer> dimensions;
    private final Set<String> extras;

    BedrockFamily(int maxBatch, Set<Integer> dimensions, Set<String> extras) {
        this.maxBatch = maxBatch;
        this.dimensions = dimensions;
        this.extras = extras;
    }

    /** The family of a Bedrock model id (inference profile prefix allowed), or null when it is not known. */
    public static BedrockFamily of(String modelId) {
        String id = PROFILE_PREFIX.matcher(modelId.trim().toLowerCase(Locale.ROOT)).replaceFirst("");
        if (id.startsWith("amazon.titan-embed-text-v1") || id.startsWith("amazon.titan-embed-g1-text-02")) {
            return TITAN_V1;
        }
        if (id.startsWith("amazon.titan-embed-text-v2")) {
            return TITAN_V2;
        }
        if (id.startsWith("amazon.titan-embed-image-v1")) {
            return TITAN_MULTIMODAL;
        }
        if (id.startsWith("cohere.embed-english-v3") || id.startsWith("cohere.embed-multilingual-v3")) {
            return COHERE_V3;
        }
        if (id.startsWith("cohere.embed-v4")) {
            return COHERE_V4;
        }
        return null;
    }

    /** The documented per-input limits: Titan text 50,000 characters / 8,192 tokens, Cohere v3 2,048 characters. */
    public dev.embeddings.gateway.provider.InputLimits inputLimits() {
        return switch (this) {
            case TITAN_V1, TITAN_V2 -> TITAN_LIMITS;
            case COHERE_V3 -> COHERE_V3_LIMITS;
            default -> dev.embeddings.gateway.provider.InputLimits.NONE;
        };
    }

    /** The largest image this family embeds (bytes), 0 for text-only families. */
    public long imageMaxBytes() {
        return switch (this) {
            case TITAN_MULTIMODAL -> TITAN_IMAGE_BYTES;
            case COHERE_V3, COHERE_V4 -> COHERE_IMAGE_BYTES;
            default -> 0;
        };
    }

    /** Inputs per InvokeModel call: 1 for Titan, 96 for Cohere. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Whether {@code dimensions} is sent upstream (Titan v2 {@code dimensions}, Cohere v4 {@code output_dimension}). */
    public boolean forwardsDimensions() {
        return !dimensions.isEmpty();
    }

    /** Request extras that reach the upstream: Titan v2 {@code normalize}; Cohere {@code input_type}, {@code truncate}. */
    public Set<String> extras() {
        return extras;
    }

    private boolean isCohere() {
        return this == COHERE_V3 || this == COHERE_V4;
    }

    /**
     * Checks what this family accepts before any upstream call; throws GatewayException 400 for a
     * {@code dimensions} the model cannot produce or an allowed extra of the wrong JSON type.
     */
    public void validate(EmbeddingRequest req, String modelName) {
        Integer dim = req.dimensions();
        if (dim != null && forwardsDimensions() && !dimensions.contains(dim)) {
            throw GatewayException.invalid("dimensions", "Model '" + modelName + "' supports dimensions "
                    + dimensions.stream().sorted().map(String::valueOf).reduce((a, b) -> a + ", " + b).orElse("")
                    + ", not " + dim + ".");
        }
        for (String name : extras) {
            JsonNode v = req.extras().get(name);
            if (v == null) {
                continue;
            }
            boolean ok = "normalize".equals(name) ? v.isBoolean() : v.isTextual();
            if (!ok) {
                throw GatewayException.invalid(name, "'" + name + "' must be a "
                        + ("normalize".equals(name) ? "boolean" : "string") + ".");
            }
        }
    }

    /** The InvokeModel body for a batch, a JSON string (the aws-bedrock component sends the body as a string). */
    public String request(Batch batch, EmbeddingRequest req) {
        StringWriter out = new StringWriter(128);
        try (JsonGenerator g = JsonVectors.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            boolean image = dev.embeddings.gateway.provider.ImageInputs.isImage(batch.texts().get(0));
            if (isCohere()) {
                g.writeArrayFieldStart(image ? "images" : "texts");
                for (String t : batch.texts()) {
                    g.writeString(t);
                }
                g.writeEndArray();
                JsonNode inputType = req.extras().get("input_type");
                g.writeStringField("input_type", image ? "image"
                        : inputType != null ? inputType.asText() : DEFAULT_INPUT_TYPE);
                JsonNode truncate = req.extras().get("truncate");
                if (truncate != null && !image) {
                    g.writeStringField("truncate", truncate.asText());
                }
                if (this == COHERE_V4) {
                    g.writeArrayFieldStart("embedding_types");
                    g.writeString("float");
                    g.writeEndArray();
                    if (req.dimensions() != null) {
                        g.writeNumberField("output_dimension", req.dimensions());
                    }
                }
            } else if (this == TITAN_MULTIMODAL) {
                if (image) {
                    g.writeStringField("inputImage", dev.embeddings.gateway.provider.ImageInputs.parse(
                            batch.texts().get(0), batch.offset(), 0, req.model()).base64());
                } else {
                    g.writeStringField("inputText", batch.texts().get(0));
                }
                if (req.dimensions() != null) {
                    g.writeObjectFieldStart("embeddingConfig");
                    g.writeNumberField("outputEmbeddingLength", req.dimensions());
                    g.writeEndObject();
                }
            } else {
                g.writeStringField("inputText", batch.texts().get(0));
                if (this == TITAN_V2) {
                    if (req.dimensions() != null) {
                        g.writeNumberField("dimensions", req.dimensions());
                    }
                    JsonNode normalize = req.extras().get("normalize");
                    g.writeBooleanField("normalize", normalize == null || normalize.asBoolean());
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /**
     * Parses an InvokeModel answer for a batch. Tokens: Titan's {@code inputTextTokenCount}, else
     * {@code headerTokens} (Bedrock's {@code X-Amzn-Bedrock-Input-Token-Count}), else cl100k_base's count. Throws
     * GatewayException 502 when the body is not this family's format or holds a different number of vectors.
     */
    public BatchResult parse(byte[] body, Batch batch, Integer headerTokens, String provider) {
        Answer a = UpstreamJson.read(body, provider, isCohere() ? CohereAdapter::embeddings : BedrockFamily::titan);
        if (a.vectors == null) {
            throw UpstreamErrors.unparseable(provider, isCohere() ? "no embeddings (float) array"
                    : "no embedding array");
        }
        UpstreamJson.checkCount(provider, a.vectors.length, batch.size());
        for (float[] v : a.vectors) {
            if (v.length == 0) {
                throw UpstreamErrors.unparseable(provider, "an empty embedding");
            }
        }
        int tokens = a.tokens >= 0 ? a.tokens : headerTokens != null ? headerTokens : batch.countTokens();
        return new BatchResult(batch.offset(), a.vectors, tokens);
    }

    /** A Titan answer's fields: {@code embedding} (one vector) and {@code inputTextTokenCount}. */
    private static boolean titan(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("embedding".equals(f) && v == JsonToken.START_ARRAY) {
            a.vectors = new float[][]{JsonVectors.vector(p)};
            return true;
        }
        if ("inputTextTokenCount".equals(f) && v == JsonToken.VALUE_NUMBER_INT) {
            a.tokens = p.getIntValue();
            return true;
        }
        return false;
    }
}
