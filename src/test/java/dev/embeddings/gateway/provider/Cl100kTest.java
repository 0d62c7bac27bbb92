package dev.embeddings.gateway.provider;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Token counts of long texts: sliced, exact for ordinary text, linear for one endless word. */
class Cl100kTest {

    static final Encoding WHOLE = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    @Test
    void longOrdinaryTextCountsExactlyAsWhole() {
        StringBuilder b = new StringBuilder();
        String[] words = {"The", "gateway", "embeds", "texts,", "numbers", "1234567", "and", "émigré", "日本語",
                "\n\n", "tabs\there", "URLs", "https://example.com/a?b=c"};
        for (int i = 0; b.length() < 60_000; i++) {
            b.append(words[i % words.length]).append(i % 7 == 0 ? "  " : " ");
        }
        String text = b.toString();
        assertEquals(WHOLE.countTokensOrdinary(text), Cl100k.count(text));
        String words9000 = "word ".repeat(9000);
        assertEquals(WHOLE.countTokensOrdinary(words9000), Cl100k.count(words9000));
    }

    @Test
    void oneEndlessWordIsCountedInLinearTime() {
        String word = "x".repeat(1_000_000);
        long t0 = System.nanoTime();
        int n = Cl100k.count(word);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // whole, this takes minutes (825 ms for 100,000 letters, quadratic); sliced, well under a second
        assertTrue(ms < 5_000, "took " + ms + " ms");
        int perSlice = WHOLE.countTokensOrdinary("x".repeat(Cl100k.HARD_SLICE));
        assertEquals(perSlice * (1_000_000 / Cl100k.HARD_SLICE) + WHOLE.countTokensOrdinary("x".repeat(
                1_000_000 % Cl100k.HARD_SLICE)), n);
        // the whole word has 125,000 tokens (8 letters each); sliced, at most one more per cut
        assertTrue(n >= 125_000 && n <= 125_000 + 1_000_000 / Cl100k.HARD_SLICE + 1, String.valueOf(n));
    }
}
