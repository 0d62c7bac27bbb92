package dev.embeddings.gateway.pipeline;

import dev.embeddings.gateway.Gateway;
import dev.embeddings.gateway.normalize.ResponseNormalizer;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.RequestParser;
import dev.embeddings.gateway.provider.EmbeddingResult;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The body conversion of the {@code embeddings-action} Kamelet ({@code kamelets/embeddings-action.kamelet.yaml}),
 * which calls the gateway's shared core {@code direct:embed} in between (as a Content Enricher, so the core's
 * headers and properties never reach the caller's exchange).
 *
 * <p>Input body → output body:
 * <ul>
 *   <li>a {@code String} (or bytes not starting with {@code {}) → {@code float[]} (with
 *       {@code encodingFormat=base64}: the base64 of the little-endian float32 bytes, a {@code String})</li>
 *   <li>a {@code List} of strings → {@code List<float[]>} in input order (base64: {@code List<String>})</li>
 *   <li>an OpenAI request JSON ({@code String} or {@code byte[]} whose first non-blank character is {@code {}) →
 *       the OpenAI response JSON, of the same Java type as the input. The JSON's own {@code model} and
 *       {@code dimensions} win; the Kamelet's fill in what it leaves out. Its {@code encoding_format} (default
 *       float, as in the OpenAI API) decides the response's vector encoding.</li>
 * </ul>
 * Headers set: {@value #MODEL_HEADER} (the model name used, as asked) and {@value #PROMPT_TOKENS_HEADER} (int, the
 * input token count). Every other header of the caller's message is kept.
 *
 * <p>Failures are thrown, never turned into bodies: {@link GatewayException} with an HTTP-like status (400 invalid
 * input, 404 unknown model, 429/502/503/504 upstream failures), so the calling route's error handler decides.
 */
public final class EmbeddingsAction implements AggregationStrategy {

    /** Header: the model name the embeddings were asked for. */
    public static final String MODEL_HEADER = "CamelEmbeddingsModel";
    /** Header: the input token count (int). */
    public static final String PROMPT_TOKENS_HEADER = "CamelEmbeddingsPromptTokens";
    /** Exchange property: how the input body looked, so the result takes the matching shape. */
    static final String SHAPE_PROPERTY = "CamelEmbeddingsInputShape";

    enum Shape { TEXT, LIST, JSON_STRING, JSON_BYTES }

    private static final RequestParser PARSER = new RequestParser();
    private static final ResponseNormalizer NORMALIZER = new ResponseNormalizer();

    private String model;
    private EncodingFormat encodingFormat = EncodingFormat.FLOAT;
    private Integer dimensions;
    private String configFile;
    private volatile boolean installed;

    /** Kamelet property {@code model} (required): a {@code model_name} of the gateway's config. */
    public void setModel(String model) {
        this.model = blankToNull(model);
    }

    /** Kamelet property {@code encodingFormat}: {@code float} (default) or {@code base64}. */
    public void setEncodingFormat(String format) {
        String f = blankToNull(format);
        if (f == null || f.equals("float")) {
            encodingFormat = EncodingFormat.FLOAT;
        } else if (f.equals("base64")) {
            encodingFormat = EncodingFormat.BASE64;
        } else {
            throw new IllegalArgumentException("encodingFormat must be 'float' or 'base64', got '" + format + "'");
        }
    }

    /** Kamelet property {@code dimensions}: output dimensions, or blank for the model's own. */
    public void setDimensions(String dims) {
        String d = blankToNull(dims);
        dimensions = d == null ? null : Integer.valueOf(d);
    }

    /**
     * Kamelet property {@code configFile}: a gateway {@code config.yaml}. Used only when the CamelContext has no
     * gateway core yet (an application that does not run GatewayMain); see {@link Gateway#install}.
     */
    public void setConfigFile(String configFile) {
        this.configFile = blankToNull(configFile);
    }

    /**
     * Camel entry: the exchange body (see the class doc) → a validated EmbeddingRequest; remembers the input shape
     * in an exchange property. Throws GatewayException 400 for an empty, non-text or invalid input.
     */
    public EmbeddingRequest toRequest(Exchange exchange) {
        if (configFile != null && !installed) {
            Gateway.install(exchange.getContext(), Path.of(configFile));
            installed = true;
        }
        if (model == null) {
            throw GatewayException.invalid("model", "The embeddings-action Kamelet needs the 'model' property.");
        }
        Object body = exchange.getMessage().getBody();
        Shape shape;
        EmbeddingRequest request;
        if (body instanceof List<?> list) {
            shape = Shape.LIST;
            List<String> texts = new ArrayList<>(list.size());
            for (Object o : list) {
                if (o == null) {
                    throw GatewayException.invalid("input", "The list body must not contain null.");
                }
                texts.add(o instanceof String s ? s : exchange.getContext().getTypeConverter().convertTo(String.class, o));
            }
            request = PARSER.ofTexts(model, texts);
        } else if (body instanceof byte[] bytes && looksLikeJson(bytes)) {
            shape = Shape.JSON_BYTES;
            request = PARSER.parseWithDefaultModel(bytes, model);
        } else {
            String text = body instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8)
                    : exchange.getMessage().getBody(String.class);
            if (text == null) {
                throw GatewayException.invalid("input", "The message body is empty; expected text, a list of "
                        + "texts or an OpenAI embeddings request JSON.");
            }
            if (looksLikeJson(text)) {
                shape = Shape.JSON_STRING;
                request = PARSER.parseWithDefaultModel(text.getBytes(StandardCharsets.UTF_8), model);
            } else {
                shape = Shape.TEXT;
                request = PARSER.ofTexts(model, List.of(text));
            }
        }
        if (request.dimensions() == null && dimensions != null) {
            request = new EmbeddingRequest(request.model(), request.texts(), request.tokenIds(),
                    request.encodingFormat(), dimensions, request.user(), request.extras(), request.controls());
        }
        exchange.setProperty(SHAPE_PROPERTY, shape);
        return request;
    }

    /**
     * Sets {@code exchange}'s body from {@code result} in the shape of the input that {@link #toRequest} saw, and
     * the headers {@value #MODEL_HEADER} and {@value #PROMPT_TOKENS_HEADER}. {@code request} is the request that
     * produced the result.
     */
    public void fromResult(Exchange exchange, EmbeddingRequest request, EmbeddingResult result) {
        Shape shape = exchange.getProperty(SHAPE_PROPERTY, Shape.TEXT, Shape.class);
        Message m = exchange.getMessage();
        float[][] v = result.vectors();
        switch (shape) {
            case TEXT -> m.setBody(encodingFormat == EncodingFormat.BASE64 ? Base64Floats.encode(v[0]) : v[0]);
            case LIST -> {
                List<Object> out = new ArrayList<>(v.length);
                for (float[] x : v) {
                    out.add(encodingFormat == EncodingFormat.BASE64 ? Base64Floats.encode(x) : x);
                }
                m.setBody(out);
            }
            case JSON_STRING, JSON_BYTES -> {
                byte[] json = NORMALIZER.write(result, request.model(), request.encodingFormat());
                m.setBody(shape == Shape.JSON_BYTES ? json : new String(json, StandardCharsets.UTF_8));
                m.setHeader(Exchange.CONTENT_TYPE, "application/json");
            }
        }
        m.setHeader(MODEL_HEADER, request.model());
        m.setHeader(PROMPT_TOKENS_HEADER, result.promptTokens());
        exchange.removeProperty(SHAPE_PROPERTY);
    }

    /**
     * The Enricher's merge: {@code original} still holds the EmbeddingRequest, {@code resource} is the exchange that
     * went through {@code direct:embed} (body EmbeddingResult). A failed resource never gets here (the Enricher
     * propagates its exception).
     */
    @Override
    public Exchange aggregate(Exchange original, Exchange resource) {
        if (resource == null) {
            return original;
        }
        EmbeddingRequest request = original.getMessage().getBody(EmbeddingRequest.class);
        EmbeddingResult result = resource.getMessage().getBody(EmbeddingResult.class);
        if (result == null) {
            throw new GatewayException(502, "api_error", null, "upstream_error", "The embeddings core returned no result.");
        }
        fromResult(original, request, result);
        return original;
    }

    static boolean looksLikeJson(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!Character.isWhitespace(c)) {
                return c == '{';
            }
        }
        return false;
    }

    static boolean looksLikeJson(byte[] b) {
        for (byte x : b) {
            if (x != ' ' && x != '\n' && x != '\r' && x != '\t') {
                return x == '{';
            }
        }
        return false;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
