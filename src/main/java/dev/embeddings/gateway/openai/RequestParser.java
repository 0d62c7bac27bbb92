package dev.embeddings.gateway.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates an OpenAI embeddings request body in one streaming pass (Jackson), per the OpenAI
 * embeddings API: {@code model} (required string), {@code input} (string | string[] | int[] | int[][], 1..2048
 * items, no empty string or array), {@code encoding_format} (float|base64), {@code dimensions} (positive integer),
 * {@code user} (string). A JSON {@code null} counts as omitted.
 *
 * <p>Throws {@link GatewayException} 400 with the offending {@code param} for anything else, and for body fields
 * that would retarget the upstream or carry credentials ({@code api_base}, {@code api_key}, {@code aws_*} ...) at
 * any depth of the body (e.g. {@code metadata.api_base}), which are never used: the client learns that its request
 * is not what it thought. Other unknown top-level fields are accepted and kept as {@code extras}, which adapters
 * forward only from their own allow-lists (as OpenAI-compatible servers drop what they do not know).
 *
 * <p>Input limits ({@link Limits}), checked before any upstream call: characters per text input, token ids per
 * token-id input, and the totals per request. Over a limit is a 400 on {@code input} with code
 * {@code input_too_long} naming the index.
 */
public final class RequestParser {

    /** The OpenAI limit on the number of inputs in one request. */
    public static final int MAX_INPUTS = 2048;

    /** Fields that would point the upstream call elsewhere or carry credentials: always rejected. */
    private static final Set<String> RETARGETING = Set.of("api_base", "base_url", "api_key", "api_version",
            "azure_ad_token", "azure_endpoint", "azure_deployment", "deployment_url", "deployment_id", "endpoint_url",
            "custom_llm_provider", "litellm_params", "extra_headers", "headers", "region_name", "organization",
            "project", "hf_token", "inference_component", "model_id");
    /** Gateway-control fields LiteLLM clients send: accepted, never forwarded; kept in EmbeddingRequest.controls. */
    private static final Set<String> CONTROL = Set.of("metadata", "caching", "cache", "drop_params", "tags", "ttl",
            "no-log", "mock_response", "timeout", "num_retries", "fallbacks", "context_window_fallback_dict");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final JsonFactory factory;
    private volatile Limits limits = Limits.DEFAULT;

    /**
     * Bounds on what one request may ask to embed (the gateway's own, before any provider's).
     *
     * @param maxInputChars    characters (UTF-16 units) of one text input ({@code gateway.maxInputChars})
     * @param maxRequestChars  characters of all text inputs of a request ({@code gateway.maxRequestChars})
     * @param maxInputTokens   token ids of one token-id input ({@code gateway.maxInputTokens})
     * @param maxRequestTokens token ids of all token-id inputs of a request ({@code gateway.maxRequestTokens})
     */
    public record Limits(int maxInputChars, long maxRequestChars, int maxInputTokens, long maxRequestTokens) {
        /**
         * Defaults that fit the largest real embedding models: 512 Ki characters per input (Cohere embed-v4 reads
         * 128k tokens), 4 Mi characters per request, 128 Ki token ids per input and 512 Ki per request (OpenAI
         * caps a request at 300k tokens).
         */
        public static final Limits DEFAULT = new Limits(512 * 1024, 4L * 1024 * 1024, 128 * 1024, 512L * 1024);
    }

    /** Replaces the input limits (from the gateway's properties at start). */
    public void setLimits(Limits limits) {
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    public RequestParser() {
        factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build())
                // {"model": "a", ..., "model": "b"} is ambiguous: reject it rather than pick one
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
    }

    /**
     * Camel entry: parses the HTTP body. Throws GatewayException 415 when the client labelled the body as a form
     * (e.g. {@code curl -d} without a JSON content type): the form decoding has already altered it.
     */
    public EmbeddingRequest parseHttp(byte[] body, @org.apache.camel.Header("Content-Type") String contentType,
                                      @org.apache.camel.Header("Content-Encoding") String contentEncoding,
                                      @org.apache.camel.ExchangeProperty("pathModel") String pathModel) {
        if (contentEncoding != null && !contentEncoding.isBlank() && !"identity".equalsIgnoreCase(contentEncoding.trim())) {
            throw new GatewayException(415, "invalid_request_error", null, "unsupported_media_type",
                    "Content-Encoding '" + contentEncoding + "' is not accepted: send the JSON body uncompressed.");
        }
        if (contentType != null && (contentType.regionMatches(true, 0, "application/x-www-form-urlencoded", 0, 33)
                || contentType.regionMatches(true, 0, "multipart/", 0, 10))) {
            throw new GatewayException(415, "invalid_request_error", null, "unsupported_media_type",
                    "Content-Type '" + contentType + "' is not accepted: send the JSON body with "
                            + "'Content-Type: application/json'.");
        }
        return parse(body, pathModel);
    }

    /**
     * A request for plain texts (Kamelet and Kafka bodies), validated like {@code input} of a JSON request:
     * 1..2048 items, no empty string, no unpaired surrogate. Float encoding, no options.
     */
    public EmbeddingRequest ofTexts(String model, List<String> texts) {
        if (texts.isEmpty()) {
            throw GatewayException.invalid("input", "input must not be an empty array.");
        }
        List<String> checked = new ArrayList<>(texts.size());
        for (String t : texts) {
            checkCount(checked.size());
            checked.add(text(t, texts.size() == 1 ? -1 : checked.size()));
        }
        checkLimits(checked, null, checked.size() == 1);
        return new EmbeddingRequest(model, List.copyOf(checked), null, EncodingFormat.FLOAT, null, null, Map.of());
    }

    /** Parses {@code body} (UTF-8 JSON); {@code model} is required. */
    public EmbeddingRequest parse(byte[] body) {
        return parse(body, null);
    }

    /** Parses {@code body}; when {@code pathModel} is set (Azure-style URL), it replaces the body's model. */
    public EmbeddingRequest parse(byte[] body, String pathModel) {
        return parse(body, pathModel, null);
    }

    /**
     * Parses {@code body} for entry points with a configured model (Kamelet, Kafka pipeline): the body's
     * {@code model} wins, {@code defaultModel} is used when the body has none (a 400 if both are missing).
     */
    public EmbeddingRequest parseWithDefaultModel(byte[] body, String defaultModel) {
        return parse(body, null, defaultModel);
    }

    private EmbeddingRequest parse(byte[] body, String pathModel, String defaultModel) {
        if (body == null || body.length == 0) {
            throw GatewayException.invalid(null, "The request body is empty; expected a JSON object with model and input.");
        }
        try (JsonParser p = factory.createParser(body)) {
            return parse(p, pathModel, defaultModel);
        } catch (JsonProcessingException e) {
            String detail = e.getOriginalMessage();
            if (detail != null && detail.startsWith("Duplicate field '")) {
                // refused on purpose: parsers disagree on which copy wins, so the body is ambiguous
                String key = detail.substring("Duplicate field '".length(), detail.lastIndexOf('\''));
                throw GatewayException.invalid(null, "The JSON body has the key '"
                        + (key.length() > 100 ? key.substring(0, 100) + "…" : key) + "' more than once in one "
                        + "object; send each key once.");
            }
            throw GatewayException.invalid(null, "We could not parse the JSON body of your request. "
                    + "(HINT: the body must be a JSON object with model and input.)");
        } catch (IOException e) {
            throw GatewayException.invalid(null, "The request body could not be read.");
        }
    }

    private EmbeddingRequest parse(JsonParser p, String pathModel, String defaultModel) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) {
            throw GatewayException.invalid(null, "The request body must be a JSON object.");
        }
        String model = null;
        Input input = null;
        boolean inputSeen = false;
        EncodingFormat format = EncodingFormat.FLOAT;
        Integer dimensions = null;
        String user = null;
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        Map<String, JsonNode> controls = new LinkedHashMap<>();
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "model" -> model = optionalString(p, v, "model");
                case "input" -> {
                    inputSeen = v != JsonToken.VALUE_NULL;
                    input = v == JsonToken.VALUE_NULL ? null : input(p, v);
                }
                case "encoding_format" -> {
                    String f = optionalString(p, v, "encoding_format");
                    if (f != null) {
                        format = switch (f) {
                            case "float" -> EncodingFormat.FLOAT;
                            case "base64" -> EncodingFormat.BASE64;
                            default -> throw GatewayException.invalid("encoding_format",
                                    "Invalid encoding_format '" + f + "': expected 'float' or 'base64'.");
                        };
                    }
                }
                case "dimensions" -> {
                    if (v != JsonToken.VALUE_NULL) {
                        if (v != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT
                                || p.getIntValue() < 1) {
                            throw GatewayException.invalid("dimensions", "dimensions must be a positive integer.");
                        }
                        dimensions = p.getIntValue();
                    }
                }
                case "user" -> user = optionalString(p, v, "user");
                default -> {
                    String lower = name.toLowerCase(Locale.ROOT);
                    if (isRetargeting(lower)) {
                        throw retargeting(name);
                    }
                    JsonNode node = MAPPER.readTree(p);
                    rejectNestedRetargeting(node, name);
                    if (node != null && !node.isNull()) {
                        if (CONTROL.contains(lower)) {
                            controls.put(lower, node);
                        } else {
                            extras.put(name, node);
                        }
                    }
                }
            }
        }
        if (t != JsonToken.END_OBJECT || p.nextToken() != null) {
            throw GatewayException.invalid(null, "The request body must be a single JSON object.");
        }
        if (pathModel != null && !pathModel.isEmpty()) {
            model = pathModel;
        }
        if ((model == null || model.isBlank()) && defaultModel != null) {
            model = defaultModel;
        }
        if (model == null || model.isBlank()) {
            throw GatewayException.invalid("model", "You must provide a model parameter.");
        }
        if (!inputSeen) {
            throw GatewayException.invalid("input", "You must provide an input parameter.");
        }
        checkLimits(input.texts, input.tokens, input.single);
        return new EmbeddingRequest(model, input.texts, input.tokens, format, dimensions, user, Map.copyOf(extras),
                Map.copyOf(controls));
    }

    private static boolean isRetargeting(String lowerName) {
        return RETARGETING.contains(lowerName) || lowerName.startsWith("aws_") || lowerName.startsWith("vertex_");
    }

    private static GatewayException retargeting(String path) {
        String shown = path.length() > 100 ? path.substring(0, 100) + "…" : path;
        return GatewayException.invalid(shown, "The field '" + shown + "' is not accepted: upstream endpoints and "
                + "credentials come only from the gateway's configuration.");
    }

    /** Throws 400 naming the path (e.g. {@code metadata.api_base}) of a retargeting field below {@code node}. */
    private static void rejectNestedRetargeting(JsonNode node, String path) {
        if (node == null) {
            return;
        }
        if (node.isObject()) {
            var fields = node.fields();
            while (fields.hasNext()) {
                var f = fields.next();
                String p = path + "." + f.getKey();
                if (isRetargeting(f.getKey().toLowerCase(Locale.ROOT))) {
                    throw retargeting(p);
                }
                rejectNestedRetargeting(f.getValue(), p);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                rejectNestedRetargeting(node.get(i), path + "[" + i + "]");
            }
        }
    }

    /** Throws 400 {@code input_too_long} when an input or the request is over {@link #limits}. */
    private void checkLimits(List<String> texts, List<int[]> tokens, boolean single) {
        Limits l = limits;
        if (texts != null) {
            long total = 0;
            for (int i = 0; i < texts.size(); i++) {
                if (ImageInputItem.isImage(texts.get(i))) {
                    continue; // images are bounded by the body limit and each provider's image size limit
                }
                int n = texts.get(i).length();
                if (n > l.maxInputChars()) {
                    throw tooLong(where(i, single) + " has " + n + " characters; the gateway accepts at most "
                            + l.maxInputChars() + " per input (gateway.maxInputChars).");
                }
                total += n;
            }
            if (total > l.maxRequestChars()) {
                throw tooLong("The inputs have " + total + " characters in all; the gateway accepts at most "
                        + l.maxRequestChars() + " per request (gateway.maxRequestChars): send them in several "
                        + "requests.");
            }
        } else if (tokens != null) {
            long total = 0;
            for (int i = 0; i < tokens.size(); i++) {
                int n = tokens.get(i).length;
                if (n > l.maxInputTokens()) {
                    throw tooLong(where(i, single) + " has " + n + " token ids; the gateway accepts at most "
                            + l.maxInputTokens() + " per input (gateway.maxInputTokens).");
                }
                total += n;
            }
            if (total > l.maxRequestTokens()) {
                throw tooLong("The inputs have " + total + " token ids in all; the gateway accepts at most "
                        + l.maxRequestTokens() + " per request (gateway.maxRequestTokens): send them in several "
                        + "requests.");
            }
        }
    }

    private static String where(int index, boolean single) {
        return single ? "input" : "input[" + index + "]";
    }

    private static GatewayException tooLong(String message) {
        return GatewayException.invalid("input", "input_too_long", message);
    }

    /** The parsed {@code input}; {@code single} when it was one string or one token array (not a list). */
    private record Input(List<String> texts, List<int[]> tokens, boolean single) {
    }

    private static Input input(JsonParser p, JsonToken v) throws IOException {
        if (v == JsonToken.VALUE_STRING) {
            return new Input(List.of(text(p.getText(), -1)), null, true);
        }
        if (v != JsonToken.START_ARRAY) {
            throw badInput();
        }
        JsonToken first = p.nextToken();
        if (first == JsonToken.END_ARRAY) {
            throw GatewayException.invalid("input", "input must not be an empty array.");
        }
        if (first == JsonToken.VALUE_STRING || first == JsonToken.START_OBJECT) {
            List<String> texts = new ArrayList<>();
            for (JsonToken e = first; e != JsonToken.END_ARRAY; e = p.nextToken()) {
                checkCount(texts.size());
                if (e == JsonToken.START_OBJECT) {
                    // image items ({"type": "image_url", ...}) become their data URL
                    texts.add(ImageInputItem.dataUrl(MAPPER.readTree(p), texts.size()));
                    continue;
                }
                if (e != JsonToken.VALUE_STRING) {
                    throw badInput();
                }
                texts.add(text(p.getText(), texts.size()));
            }
            return new Input(texts, null, false);
        }
        if (first == JsonToken.VALUE_NUMBER_INT) {
            int[] ids = tokenArray(p, first, -1);
            return new Input(null, List.<int[]>of(ids), true);
        }
        if (first == JsonToken.START_ARRAY) {
            List<int[]> all = new ArrayList<>();
            for (JsonToken e = first; e != JsonToken.END_ARRAY; e = p.nextToken()) {
                if (e != JsonToken.START_ARRAY) {
                    throw badInput();
                }
                checkCount(all.size());
                JsonToken f = p.nextToken();
                if (f == JsonToken.END_ARRAY) {
                    throw GatewayException.invalid("input", "input[" + all.size() + "] must not be an empty array.");
                }
                if (f != JsonToken.VALUE_NUMBER_INT) {
                    throw badInput();
                }
                all.add(tokenArray(p, f, all.size()));
            }
            return new Input(null, all, false);
        }
        throw badInput();
    }

    /** Reads ints up to the closing bracket; the first token is already current. */
    private static int[] tokenArray(JsonParser p, JsonToken first, int index) throws IOException {
        int[] buf = new int[16];
        int n = 0;
        for (JsonToken e = first; e != JsonToken.END_ARRAY; e = p.nextToken()) {
            if (e != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT
                    || p.getIntValue() < 0) {
                throw GatewayException.invalid("input", "Token ids" + (index >= 0 ? " in input[" + index + "]" : "")
                        + " must be non-negative integers.");
            }
            if (n == buf.length) {
                buf = java.util.Arrays.copyOf(buf, n * 2);
            }
            buf[n++] = p.getIntValue();
        }
        return java.util.Arrays.copyOf(buf, n);
    }

    private static String text(String s, int index) {
        String where = index >= 0 ? "input[" + index + "]" : "input";
        if (s.isEmpty()) {
            throw GatewayException.invalid("input", where + " must not be an empty string.");
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                throw GatewayException.invalid("input", where + " contains an unpaired UTF-16 surrogate.");
            }
            if (Character.isLowSurrogate(c)) {
                throw GatewayException.invalid("input", where + " contains an unpaired UTF-16 surrogate.");
            }
        }
        return s;
    }

    private static void checkCount(int alreadyRead) {
        if (alreadyRead >= MAX_INPUTS) {
            throw GatewayException.invalid("input", "input must have at most " + MAX_INPUTS + " items.");
        }
    }

    private static GatewayException badInput() {
        return GatewayException.invalid("input", "input must be a string, an array of strings, an array of "
                + "integers (token ids) or an array of integer arrays.");
    }

    private static String optionalString(JsonParser p, JsonToken v, String param) throws IOException {
        if (v == JsonToken.VALUE_NULL) {
            return null;
        }
        if (v != JsonToken.VALUE_STRING) {
            throw GatewayException.invalid(param, param + " must be a string.");
        }
        return p.getText();
    }
}
