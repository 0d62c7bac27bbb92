package dev.embeddings.gateway.provider.local;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Cl100k;
import dev.embeddings.gateway.provider.Dimensions;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import org.apache.camel.ExchangeProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@code local} provider: in-process ONNX models, no network. Known model ids: {@code all-minilm-l6-v2} (384
 * dimensions, unit-length vectors; {@link MiniLm}).
 *
 * <p>Per call: each input is cut to its first {@link Settings#maxInputChars} characters (at a whitespace where one
 * is near; the native tokenizer's memory grows with the text it is given, and the model reads only the first 128
 * word pieces, which any real text reaches long before), tokenised on the caller's thread, and queued for the
 * {@link DynamicBatcher}, which embeds the inputs of concurrent calls (HTTP, Kamelet, Kafka pipeline alike) in
 * shared model calls. Usage is the word pieces the model read ([CLS] and [SEP] not counted). Token-id inputs are decoded
 * with cl100k_base first. An input the model cannot take (blank, or without any word piece) is a 400 on param
 * {@code input}, before anything is queued.
 *
 * <p>Nothing of ONNX Runtime or the tokenizer is loaded until {@link #start}, which the gateway calls only when a
 * {@code local/} deployment is configured.
 */
public final class LocalAdapter {

    public static final Set<String> MODELS = Set.of("all-minilm-l6-v2");
    public static final int ALL_MINILM_DIMENSIONS = MiniLm.DIMENSIONS;

    /**
     * @param maxBatchInputs inputs per model call ({@code gateway.local.maxBatchInputs}, default 32; 1 turns
     *                       batching off)
     * @param maxBatchDelayMs how long the oldest queued input waits for others while the model is idle
     *                        ({@code gateway.local.maxBatchDelayMs}, default 2)
     * @param maxInputChars  characters of each input given to the tokenizer ({@code gateway.local.maxInputChars},
     *                       default 16384)
     * @param threads        ONNX Runtime intra-op threads ({@code gateway.local.threads}, default: the cores)
     */
    public record Settings(int maxBatchInputs, long maxBatchDelayMs, int maxInputChars, int threads) {
        public static Settings defaults() {
            return new Settings(32, 2, 16_384, Runtime.getRuntime().availableProcessors());
        }
    }

    private volatile MiniLm model;
    private volatile DynamicBatcher<long[]> batcher;
    private volatile Settings settings = Settings.defaults();

    /** Throws ConfigException when a local deployment names a model this build does not ship. */
    public static void checkDeployment(Deployment d) {
        if (!MODELS.contains(d.upstreamModel())) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': unknown local model '"
                    + d.upstreamModel() + "' (available: " + MODELS + ")");
        }
    }

    /**
     * Loads the model (about 1 s) and starts its batcher on {@code batchThread} (a single-thread executor the
     * adapter owns from now on). Does nothing when already started.
     */
    public synchronized void start(Settings s, ExecutorService batchThread) {
        if (model != null) {
            batchThread.shutdown();
            return;
        }
        if (s.maxBatchInputs() < 1 || s.maxInputChars() < 1 || s.threads() < 1) {
            throw new ConfigException("gateway.local.maxBatchInputs, maxInputChars and threads must be at least 1");
        }
        settings = s;
        MiniLm m = new MiniLm(s.threads());
        batcher = new DynamicBatcher<>(m::embed, s.maxBatchInputs(), s.maxBatchDelayMs(), batchThread);
        model = m;
    }

    /** Whether the model is loaded (for tests: a gateway without local deployments never loads it). */
    public boolean started() {
        return model != null;
    }

    /** Model calls made so far (one per batch), and the inputs they embedded: inputs / calls is the mean batch. */
    public long[] modelCalls() {
        DynamicBatcher<long[]> b = batcher;
        return b == null ? new long[2] : new long[]{b.batches.sum(), b.batchedInputs.sum()};
    }

    /** Stops the batcher (queued calls fail) and frees the model's native memory. */
    public synchronized void stop() {
        if (batcher != null) {
            batcher.close();
            batcher = null;
        }
        if (model != null) {
            model.close();
            model = null;
        }
    }

    /**
     * Embeds the call's inputs. Returns float[n][384] (or [n][dimensions] for a matryoshka deployment) in input
     * order. Throws GatewayException 400 for an unsupported {@code dimensions}, an undecodable token id or an input
     * without word pieces, 503 when the model is not running.
     */
    public EmbeddingResult embed(@ExchangeProperty(EmbeddingCall.PROPERTY) EmbeddingCall call) {
        Integer dimensions = call.request().dimensions();
        Dimensions.check(dimensions, call.deployment(), ALL_MINILM_DIMENSIONS);
        List<String> texts = call.request().texts() != null ? call.request().texts()
                : Cl100k.decode(call.request().tokenIds());
        MiniLm m = model;
        DynamicBatcher<long[]> b = batcher;
        if (m == null || b == null) {
            throw new GatewayException(503, "api_error", null, "model_not_loaded",
                    "The local model is not running.");
        }
        int limit = settings.maxInputChars();
        List<long[]> ids = new ArrayList<>(texts.size());
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            String t = bounded(texts.get(i), limit);
            long[] x = hasWordPieces(t) ? m.tokenize(t) : null;
            if (x == null || x.length <= 2) {
                throw GatewayException.invalid("input", (texts.size() == 1 ? "input" : "input[" + i + "]")
                        + " has no word pieces for the local model (only whitespace, zero-width, control "
                        + "characters or lone combining marks).");
            }
            ids.add(x);
            tokens += x.length - 2; // word pieces read, without [CLS] and [SEP] (as LangChain4j counted them)
        }
        float[][] vectors;
        try {
            vectors = b.submit(ids).get(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GatewayException(503, "api_error", null, "model_not_loaded", "The local model was stopped.");
        } catch (ExecutionException | TimeoutException e) {
            throw new GatewayException(500, "api_error", null, "local_model_error",
                    "The local model failed to embed the inputs.");
        }
        return new EmbeddingResult(Dimensions.truncate(vectors, dimensions), tokens);
    }

    /**
     * The first {@code limit} characters of {@code text}: cut at the last whitespace within the last 1024 of them
     * when there is one (so that no word is split), never inside a surrogate pair; {@code text} itself when shorter.
     */
    static String bounded(String text, int limit) {
        if (text.length() <= limit) {
            return text;
        }
        int cut = limit;
        for (int i = limit; i > Math.max(0, limit - 1024); i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                cut = i;
                break;
            }
        }
        if (cut == limit && Character.isHighSurrogate(text.charAt(cut - 1))) {
            cut--;
        }
        return text.substring(0, cut);
    }

    /**
     * False when the BERT tokenizer would keep nothing of {@code text}: it drops whitespace, control and format
     * characters (zero-width ones included), and combining marks once accents are stripped.
     */
    static boolean hasWordPieces(String text) {
        return text.codePoints().anyMatch(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                && switch (Character.getType(c)) {
                    case Character.CONTROL, Character.FORMAT, Character.NON_SPACING_MARK, Character.ENCLOSING_MARK,
                         Character.UNASSIGNED -> false;
                    default -> true;
                });
    }
}
