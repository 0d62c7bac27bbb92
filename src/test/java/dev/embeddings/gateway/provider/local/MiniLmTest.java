package dev.embeddings.gateway.provider.local;

import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static dev.embeddings.gateway.GatewayHarness.cosine;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batched model against LangChain4j's one-input-at-a-time AllMiniLmL6V2EmbeddingModel (the reference the gateway
 * used before): the same vectors for texts of very different lengths padded into one batch, and the same token
 * counts; the input bound cuts only what the model never reads.
 */
class MiniLmTest {

    static MiniLm model;
    static AllMiniLmL6V2EmbeddingModel reference;

    static final List<String> TEXTS = List.of(
            "A man is eating food.",
            "Hi",
            "The quick brown fox jumps over the lazy dog. ".repeat(40), // past the 128-piece window
            "Ünïcödé, accents and CJK 漢字 are normalised by the BERT tokenizer!",
            "A man is riding a horse on a sunny afternoon in the hills.");

    @BeforeAll
    static void load() {
        model = new MiniLm(2);
        reference = new AllMiniLmL6V2EmbeddingModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aPaddedBatchGivesTheOneByOneVectors() {
        List<long[]> ids = new ArrayList<>();
        for (String t : TEXTS) {
            ids.add(model.tokenize(t));
        }
        float[][] batched = model.embed(ids);
        for (int i = 0; i < TEXTS.size(); i++) {
            var ref = reference.embed(TextSegment.from(TEXTS.get(i)));
            float[] expected = ref.content().vector();
            assertEquals(384, batched[i].length);
            assertTrue(cosine(expected, batched[i]) > 0.99999, "text " + i + ": " + cosine(expected, batched[i]));
            assertArrayEquals(expected, batched[i], 2e-5f, "text " + i);
            assertEquals(ref.tokenUsage().inputTokenCount(), ids.get(i).length - 2, "word pieces of text " + i);
            // alone, the text gives the same vector up to rounding as in the batch
            assertArrayEquals(model.embed(List.of(ids.get(i)))[0], batched[i], 2e-5f, "text " + i + " alone");
        }
        assertEquals(128, ids.get(2).length, "truncated to the window");
    }

    @Test
    void theInputBoundCutsOnlyWhatTheModelNeverReads() {
        String words = "word" + " lorem ipsum dolor sit amet".repeat(60); // ~300 word pieces
        String huge = words + " tail".repeat(200_000);                    // ~1 MB
        String cut = LocalAdapter.bounded(huge, 16_384);
        assertTrue(cut.length() <= 16_384 && cut.length() > 15_000, "length " + cut.length());
        assertTrue(huge.startsWith(cut));
        assertTrue(Character.isWhitespace(huge.charAt(cut.length())), "cut at a whitespace");
        assertArrayEquals(model.tokenize(words), model.tokenize(cut));
        float[] full = model.embed(List.of(model.tokenize(words)))[0];
        assertArrayEquals(full, model.embed(List.of(model.tokenize(cut)))[0], 0f);

        assertEquals("short", LocalAdapter.bounded("short", 16_384));
        String noSpace = "x".repeat(20_000);
        assertEquals(16_384, LocalAdapter.bounded(noSpace, 16_384).length());
        String surrogates = "😀".repeat(10_000); // 20 000 chars, no whitespace
        String s = LocalAdapter.bounded(surrogates, 16_383);
        assertEquals(16_382, s.length(), "never half a surrogate pair");
    }

    @Test
    void theBatcherServesTheModelToConcurrentCallers() throws Exception {
        try (DynamicBatcher<long[]> b = new DynamicBatcher<>(model::embed, 32, 2, Executors.newSingleThreadExecutor())) {
            List<java.util.concurrent.CompletableFuture<float[][]>> futures = new ArrayList<>();
            for (String t : TEXTS) {
                futures.add(b.submit(List.of(model.tokenize(t))));
            }
            for (int i = 0; i < TEXTS.size(); i++) {
                float[] expected = reference.embed(TextSegment.from(TEXTS.get(i))).content().vector();
                assertArrayEquals(expected, futures.get(i).get(30, TimeUnit.SECONDS)[0], 2e-5f, "text " + i);
            }
            assertTrue(b.batches.sum() < TEXTS.size(), b.batches.sum() + " model calls for " + TEXTS.size());
        }
    }
}
