package dev.embeddings.gateway.provider;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import dev.embeddings.gateway.openai.GatewayException;

import java.util.ArrayList;
import java.util.List;

/**
 * The cl100k_base tokenizer (jtokkit): the encoding OpenAI clients use for token-id inputs, and our token counter
 * for upstreams that report no usage.
 */
public final class Cl100k {

    private static final Encoding ENCODING = Encodings.newDefaultEncodingRegistry()
            .getEncoding(EncodingType.CL100K_BASE);
    /** One past the largest cl100k_base id (ordinary tokens plus the special ones up to 100276). */
    public static final int VOCAB_SIZE = 100277;
    /** The first special id ({@code <|endoftext|>}); the special ids stand for no text. */
    static final int FIRST_SPECIAL = 100257;

    private Cl100k() {
    }

    /** Texts longer than this are counted in slices (see {@link #count(String)}). */
    static final int SLICE = 4096;
    /** A slice with no word boundary is cut hard at this length. */
    static final int HARD_SLICE = 256;

    /**
     * Number of cl100k_base tokens in {@code text}. Texts over {@value #SLICE} characters are counted in slices cut
     * at a word boundary (a space after a non-space and before a letter, where cl100k's pieces always split) in the
     * slice's second half, else hard after {@value #HARD_SLICE} characters: byte-pair encoding is quadratic in the
     * length of one piece, and a 100,000-letter "word" took 825 ms to count whole (jtokkit 1.1.0), a megabyte of one
     * word minutes. Exact for text with word boundaries; a hard cut inside an endless run of letters may count one
     * token more per cut.
     */
    public static int count(String text) {
        if (text.length() <= SLICE) {
            return ENCODING.countTokensOrdinary(text);
        }
        int n = 0;
        int from = 0;
        while (from < text.length()) {
            int to = Math.min(text.length(), from + SLICE);
            if (to < text.length()) {
                int cut = to;
                while (cut > from + SLICE / 2 && !(text.charAt(cut) == ' '
                        && !Character.isWhitespace(text.charAt(cut - 1)) && Character.isLetter(text.charAt(cut + 1)))) {
                    cut--;
                }
                if (cut > from + SLICE / 2) {
                    to = cut;
                } else {
                    to = from + HARD_SLICE;
                    if (Character.isLowSurrogate(text.charAt(to))) {
                        to--;
                    }
                }
            }
            n += ENCODING.countTokensOrdinary(text.substring(from, to));
            from = to;
        }
        return n;
    }

    /** Total cl100k_base tokens over all texts. */
    public static int count(List<String> texts) {
        int n = 0;
        for (String t : texts) {
            n += count(t);
        }
        return n;
    }

    /**
     * Decodes token-id inputs to text. Throws GatewayException 400 (param {@code input}) when an id is outside
     * cl100k_base, or is a special token ({@code <|endoftext|>}, {@code <|fim_prefix|>}, ...: 100257 and above),
     * which stands for no text: decoding it would embed its name as literal text.
     */
    public static List<String> decode(List<int[]> inputs) {
        List<String> out = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            int[] ids = inputs.get(i);
            IntArrayList list = new IntArrayList(ids.length);
            for (int id : ids) {
                if (id < 0 || id >= VOCAB_SIZE) {
                    throw GatewayException.invalid("input", "input[" + i + "] has token id " + id
                            + ", outside the cl100k_base vocabulary (0.." + (VOCAB_SIZE - 1) + ").");
                }
                if (id >= FIRST_SPECIAL) {
                    throw GatewayException.invalid("input", "input[" + i + "] has token id " + id
                            + ", a cl100k_base special token, which has no text to embed.");
                }
                list.add(id);
            }
            try {
                out.add(ENCODING.decode(list));
            } catch (RuntimeException e) {
                // jtokkit throws for ids with no text (100256)
                throw GatewayException.invalid("input", "input[" + i + "] has a token id that cl100k_base cannot decode.");
            }
        }
        return out;
    }

    /** Token count of token-id inputs: the number of ids. */
    public static int countIds(List<int[]> inputs) {
        int n = 0;
        for (int[] ids : inputs) {
            n += ids.length;
        }
        return n;
    }
}
