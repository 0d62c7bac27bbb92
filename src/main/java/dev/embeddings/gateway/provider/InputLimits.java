package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.openai.GatewayException;

import java.util.List;

/**
 * A provider's documented per-input limits, checked before any upstream call so that a hopeless request is never
 * sent (and billed). A limit of 0 is none.
 *
 * @param maxChars  characters (UTF-16 code units, as the providers count them in their docs) per text input
 * @param maxTokens tokens per input, counted with cl100k_base (exact for OpenAI's embedding models, an estimate for
 *                  others); a text is only tokenised when its UTF-8 length could exceed the limit (a cl100k token is
 *                  at least one byte); a token-id input counts its ids
 */
public record InputLimits(int maxChars, int maxTokens) {

    public static final InputLimits NONE = new InputLimits(0, 0);

    /**
     * Throws GatewayException 400 {@code context_length_exceeded} (param {@code input}, the index in the message)
     * for the first input over a limit. Image inputs ({@link ImageInputs#isImage}) are not texts and are skipped.
     */
    public void check(List<String> texts, List<int[]> ids, String modelName) {
        if (maxChars <= 0 && maxTokens <= 0) {
            return;
        }
        if (texts != null) {
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                if (ImageInputs.isImage(t)) {
                    continue;
                }
                if (maxChars > 0 && t.length() > maxChars) {
                    throw tooLong(i, t.length() + " characters", maxChars + " characters", modelName);
                }
                if (maxTokens > 0 && (long) t.length() * 3 > maxTokens && utf8Length(t) > maxTokens) {
                    int n = Cl100k.count(t);
                    if (n > maxTokens) {
                        throw tooLong(i, n + " tokens", maxTokens + " tokens", modelName);
                    }
                }
            }
        } else if (ids != null && maxTokens > 0) {
            for (int i = 0; i < ids.size(); i++) {
                if (ids.get(i).length > maxTokens) {
                    throw tooLong(i, ids.get(i).length + " tokens", maxTokens + " tokens", modelName);
                }
            }
        }
    }

    private static GatewayException tooLong(int index, String has, String max, String model) {
        return GatewayException.invalid("input", "context_length_exceeded", "input[" + index + "] has " + has
                + "; model '" + model + "' accepts at most " + max + " per input.");
    }

    /** The UTF-8 length of {@code s} in bytes, without encoding it. */
    public static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }
}
