package dev.embeddings.gateway.provider.local;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Cl100k;
import dev.embeddings.gateway.provider.Dimensions;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.output.Response;
import org.apache.camel.ExchangeProperty;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * The {@code local} provider: in-process ONNX models (LangChain4j), no network. Known model ids:
 * {@code all-minilm-l6-v2} (384 dimensions, unit-length vectors). Each input is read up to its first 128 word pieces:
 * the tokenizer.json LangChain4j bundles truncates there, so LangChain4j's split-and-average of long inputs never
 * happens and the rest of a longer input leaves its vector unchanged; usage counts the pieces read.
 *
 * <p>A request's inputs are spread over a bounded pool sized to the cores (never the Vert.x event loop). Usage is
 * the model tokenizer's own token count. Token-id inputs are decoded with cl100k_base first. An input the model
 * cannot take (blank, or without any word piece) is a 400 on param {@code input}.
 */
public final class LocalAdapter {

    public static final Set<String> MODELS = Set.of("all-minilm-l6-v2");
    public static final int ALL_MINILM_DIMENSIONS = 384;

    private volatile EmbeddingModel model;
    private ExecutorService pool;

    /** Throws ConfigException when a local deployment names a model this build does not ship. */
    public static void checkDeployment(Deployment d) {
        if (!MODELS.contains(d.upstreamModel())) {
            throw new ConfigException("model_list entry '" + d.modelName() + "': unknown local model '"
                    + d.upstreamModel() + "' (available: " + MODELS + ")");
        }
    }

    /** Loads the model (about 1 s, 90 MB of weights from the jar) with inference spread over {@code pool}. */
    public synchronized void start(ExecutorService pool) {
        this.pool = pool;
        if (model == null) {
            model = new AllMiniLmL6V2EmbeddingModel(pool);
        }
    }

    /**
     * Embeds the call's inputs. Returns float[n][384] (or [n][dimensions] for a matryoshka deployment) in input
     * order. Throws GatewayException 400 for an unsupported {@code dimensions} or an undecodable token id.
     */
    public EmbeddingResult embed(@ExchangeProperty(EmbeddingCall.PROPERTY) EmbeddingCall call) {
        Integer dimensions = call.request().dimensions();
        Dimensions.check(dimensions, call.deployment(), ALL_MINILM_DIMENSIONS);
        List<String> texts = call.request().texts() != null ? call.request().texts()
                : Cl100k.decode(call.request().tokenIds());
        EmbeddingModel m = model;
        if (m == null) {
            start(pool);
            m = model;
        }
        Response<List<Embedding>> response;
        try {
            List<TextSegment> segments = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                if (!hasWordPieces(t)) {
                    throw GatewayException.invalid("input", (texts.size() == 1 ? "input" : "input[" + i + "]")
                            + " has no word pieces for the local model (only whitespace, zero-width, control "
                            + "characters or lone combining marks).");
                }
                segments.add(TextSegment.from(t));
            }
            response = m.embedAll(segments);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            // what hasWordPieces does not foresee and still leaves the tokenizer with nothing: the input's
            // fault, not the model's
            throw GatewayException.invalid("input", "The local model cannot embed an input that is blank or "
                    + "has no word pieces (only whitespace, zero-width or control characters).");
        }
        List<Embedding> embeddings = response.content();
        float[][] vectors = new float[embeddings.size()][];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = embeddings.get(i).vector();
        }
        Integer tokens = response.tokenUsage() == null ? null : response.tokenUsage().inputTokenCount();
        return new EmbeddingResult(Dimensions.truncate(vectors, dimensions), tokens == null ? 0 : tokens);
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
