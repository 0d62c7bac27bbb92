package dev.embeddings.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;
import java.util.Map;

/**
 * A validated OpenAI embeddings request.
 *
 * <p>Exactly one of {@code texts} and {@code tokenIds} is non-null: {@code input} as a string or string array gives
 * {@code texts}; an int array (one tokenised input) or an array of int arrays gives {@code tokenIds}.
 *
 * @param model          the model name the client asked for (the response echoes it)
 * @param texts          text inputs in request order, or null
 * @param tokenIds       token-id inputs (cl100k_base ids) in request order, or null
 * @param encodingFormat float unless the client asked for base64
 * @param dimensions     requested output dimensions, or null when not set
 * @param user           the OpenAI {@code user} field, or null when not set
 * @param extras         other top-level fields the client sent (provider extras such as {@code input_type});
 *                       adapters read only the ones on their own allow-list
 * @param controls       gateway-control fields the client sent (LiteLLM's {@code cache}, {@code metadata}, ...), by
 *                       name, never forwarded upstream; empty when none. The cache reads {@code cache}
 *                       ({@code {"no-cache": true}, {"no-store": true}, {"ttl": seconds}})
 */
public record EmbeddingRequest(String model, List<String> texts, List<int[]> tokenIds, EncodingFormat encodingFormat,
                               Integer dimensions, String user, Map<String, JsonNode> extras,
                               Map<String, JsonNode> controls) {

    /** A request without control fields. */
    public EmbeddingRequest(String model, List<String> texts, List<int[]> tokenIds, EncodingFormat encodingFormat,
                            Integer dimensions, String user, Map<String, JsonNode> extras) {
        this(model, texts, tokenIds, encodingFormat, dimensions, user, extras, Map.of());
    }

    /** The same request for other inputs (texts or token ids, one of them null), e.g. the ones a cache missed. */
    public EmbeddingRequest withInputs(List<String> texts, List<int[]> tokenIds) {
        return new EmbeddingRequest(model, texts, tokenIds, encodingFormat, dimensions, user, extras, controls);
    }

    /** Number of inputs. */
    public int size() {
        return texts != null ? texts.size() : tokenIds.size();
    }

    /** The length of input {@code i}: characters of a text, or the number of its token ids. */
    public int inputLength(int i) {
        return texts != null ? texts.get(i).length() : tokenIds.get(i).length;
    }

    /** The length of all inputs (see {@link #inputLength(int)}): what token counts are shared out by. */
    public long inputLength() {
        long n = 0;
        for (int i = 0; i < size(); i++) {
            n += inputLength(i);
        }
        return n;
    }
}
