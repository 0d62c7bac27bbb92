package dev.embeddings.gateway.provider.google;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Batch;
import dev.embeddings.gateway.provider.BatchResult;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.HttpJsonAdapter;
import dev.embeddings.gateway.provider.ImageInputs;
import dev.embeddings.gateway.provider.JsonVectors;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.UpstreamJson;
import dev.embeddings.gateway.provider.UpstreamJson.Answer;
import dev.embeddings.gateway.security.Redactor;
import dev.embeddings.gateway.provider.Urls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Google Vertex AI ({@code vertex_ai/<model>}): {@code POST {api_base}/v1/projects/{project}/locations/{location}/
 * publishers/google/models/{model}:predict}, api_base defaulting to {@code https://{location}-aiplatform.googleapis.com}
 * ({@code https://aiplatform.googleapis.com} for {@code global}), with an OAuth2 access token
 * ({@code Authorization: Bearer}) from Google's auth library.
 * <ul>
 *   <li>Credentials: {@code vertex_credentials} (a service-account key as JSON text, or the path of its file), else
 *       application default credentials ({@code GOOGLE_APPLICATION_CREDENTIALS}, gcloud, the metadata server);
 *       scope {@code cloud-platform}. Tokens are fetched from the key's {@code token_uri} and refreshed by the
 *       library before they expire; every token fetched is registered for redaction. A token that cannot be had is
 *       502 {@code upstream_authentication_error}.</li>
 *   <li>{@code vertex_project} (else {@code VERTEXAI_PROJECT}, {@code GOOGLE_CLOUD_PROJECT}, the key's project_id),
 *       {@code vertex_location} (else {@code VERTEXAI_LOCATION}, else {@code us-central1}), as LiteLLM names them.</li>
 *   <li>Text models ({@code text-embedding-005}, {@code text-multilingual-embedding-002},
 *       {@code gemini-embedding-001}, ...): {@code {"instances": [{"content", "task_type"?, "title"?}],
 *       "parameters": {"autoTruncate"?, "outputDimensionality"?}}}; task_type from {@code task_type} /
 *       {@code input_type} (RETRIEVAL_QUERY, RETRIEVAL_DOCUMENT, ...), {@code auto_truncate} from the client or the
 *       deployment, {@code dimensions} → outputDimensionality. Answer {@code {"predictions": [{"embeddings":
 *       {"values", "statistics": {"token_count"}}}]}}; usage is the sum of token_count. 250 texts and 20,000 tokens
 *       (cl100k_base estimate) per call; {@code gemini-embedding-001} one text per call.</li>
 *   <li>{@code multimodalembedding@001}: one instance per call, {@code {"text"}} or {@code {"image":
 *       {"bytesBase64Encoded", "mimeType"}}} (images up to 20 MB, checked first), {@code parameters.dimension}
 *       128 | 256 | 512 | 1408 from {@code dimensions}; answer {@code textEmbedding} / {@code imageEmbedding}.</li>
 *   <li>Errors: {@code {"error": {"code", "message", "status"}}} through the shared mapping.</li>
 * </ul>
 */
public final class VertexAdapter extends HttpJsonAdapter {

    static final String SCOPE = "https://www.googleapis.com/auth/cloud-platform";
    static final int BATCH = 250;
    static final int REQUEST_TOKENS = 20_000;
    static final long IMAGE_BYTES = 20L * 1024 * 1024;
    static final Set<Integer> MULTIMODAL_DIMENSIONS = Set.of(128, 256, 512, 1408);

    private final Map<Deployment, GoogleCredentials> credentials = new ConcurrentHashMap<>();

    public VertexAdapter(Function<String, String> env) {
        super(Provider.VERTEX_AI, env);
    }

    private static boolean multimodal(Deployment d) {
        return d.upstreamModel().toLowerCase(Locale.ROOT).startsWith("multimodalembedding");
    }

    @Override
    protected Target resolve(Deployment d) {
        String where = "model_list entry '" + d.modelName() + "'";
        GoogleCredentials creds = credentials.computeIfAbsent(d, this::credentials);
        String project = d.string("vertex_project");
        for (String e : new String[]{"VERTEXAI_PROJECT", "GOOGLE_CLOUD_PROJECT"}) {
            if (blank(project)) {
                project = env.apply(e);
            }
        }
        if (blank(project) && creds instanceof ServiceAccountCredentials sa) {
            project = sa.getProjectId();
        }
        if (blank(project)) {
            throw new ConfigException(where + ": vertex_ai needs litellm_params.vertex_project (or VERTEXAI_PROJECT)");
        }
        String location = d.string("vertex_location");
        if (blank(location)) {
            location = env.apply("VERTEXAI_LOCATION");
        }
        if (blank(location)) {
            location = "us-central1";
        }
        location = location.trim();
        String host = "global".equals(location) ? "https://aiplatform.googleapis.com"
                : "https://" + location + "-aiplatform.googleapis.com";
        String base = apiBase(d, host);
        String url = Urls.appendPath(base, "v1/projects/" + enc(project.trim()) + "/locations/" + enc(location)
                + "/publishers/google/models/" + enc(d.upstreamModel()) + ":predict");
        return new Target(url, null, Map.of());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20").replace("%40", "@");
    }

    /** The deployment's scoped credentials; ConfigException when none can be read. */
    private GoogleCredentials credentials(Deployment d) {
        String where = "model_list entry '" + d.modelName() + "'";
        String source = d.string("vertex_credentials");
        try {
            GoogleCredentials c;
            if (!blank(source)) {
                String s = source.trim();
                try (InputStream in = s.startsWith("{")
                        ? new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8))
                        : Files.newInputStream(Path.of(s))) {
                    c = GoogleCredentials.fromStream(in);
                }
                if (c instanceof ServiceAccountCredentials sa) {
                    UpstreamErrors.addSecret(sa.getPrivateKeyId());
                }
            } else {
                c = GoogleCredentials.getApplicationDefault();
            }
            return c.createScoped(List.of(SCOPE));
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(where + ": vertex_ai credentials could not be read ("
                    + (blank(source) ? "no vertex_credentials and no application default credentials"
                    : "vertex_credentials is neither a service-account key JSON nor the path of one") + ")");
        }
    }

    /** A current access token (fetched or refreshed when needed, registered for redaction). */
    @Override
    protected String bearer(Deployment d, Target t) {
        GoogleCredentials c = credentials.computeIfAbsent(d, this::credentials);
        try {
            AccessToken token;
            synchronized (c) {
                c.refreshIfExpired();
                token = c.getAccessToken();
            }
            if (token == null || blank(token.getTokenValue())) {
                throw new IOException("no token");
            }
            Redactor.addFetchedSecret(token.getTokenValue());
            return token.getTokenValue();
        } catch (IOException e) {
            throw new GatewayException(502, "api_error", null, "upstream_authentication_error",
                    "Vertex AI: no access token could be obtained for model '" + d.modelName() + "' ("
                            + UpstreamErrors.sanitize(String.valueOf(e.getMessage()), d) + ").");
        }
    }

    @Override
    protected int defaultBatchSize(Deployment d) {
        String m = d.upstreamModel().toLowerCase(Locale.ROOT);
        return multimodal(d) || m.startsWith("gemini-embedding") ? 1 : BATCH;
    }

    @Override
    protected int maxBatchTokens(Deployment d) {
        return multimodal(d) ? 0 : REQUEST_TOKENS;
    }

    @Override
    protected boolean forwardsDimensions(Deployment d) {
        return !d.bool("matryoshka", false);
    }

    @Override
    protected Set<String> forwardedFields(Deployment d) {
        return Set.of("task_type", "input_type", "title", "auto_truncate");
    }

    @Override
    protected long imageMaxBytes(Deployment d) {
        return multimodal(d) ? IMAGE_BYTES : 0;
    }

    @Override
    protected void validate(EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        GoogleTaskTypes.of(r);
        JsonNode at = r.extras().get("auto_truncate");
        if (at != null && !at.isBoolean()) {
            throw GatewayException.invalid("auto_truncate", "auto_truncate must be a boolean.");
        }
        Integer dim = r.dimensions();
        if (dim != null && multimodal(call.deployment()) && forwardsDimensions(call.deployment())
                && !MULTIMODAL_DIMENSIONS.contains(dim)) {
            throw GatewayException.invalid("dimensions", "Model '" + call.deployment().modelName()
                    + "' supports dimensions 128, 256, 512, 1408, not " + dim + ".");
        }
    }

    @Override
    protected byte[] body(Batch batch, EmbeddingCall call) {
        EmbeddingRequest r = call.request();
        Deployment d = call.deployment();
        boolean mm = multimodal(d);
        String task = mm ? null : GoogleTaskTypes.of(r);
        JsonNode title = r.extras().get("title");
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = generator(out)) {
            g.writeStartObject();
            g.writeArrayFieldStart("instances");
            for (String t : batch.texts()) {
                g.writeStartObject();
                if (mm && ImageInputs.isImage(t)) {
                    ImageInputs.Image image = ImageInputs.parse(t, batch.offset(), 0, d.modelName());
                    g.writeObjectFieldStart("image");
                    g.writeStringField("bytesBase64Encoded", image.base64());
                    g.writeStringField("mimeType", image.mediaType());
                    g.writeEndObject();
                } else if (mm) {
                    g.writeStringField("text", t);
                } else {
                    g.writeStringField("content", t);
                    if (task != null) {
                        g.writeStringField("task_type", task);
                    }
                    if (title != null && title.isTextual() && "RETRIEVAL_DOCUMENT".equals(task)) {
                        g.writeStringField("title", title.asText());
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            JsonNode autoTruncate = r.extras().get("auto_truncate");
            boolean dims = r.dimensions() != null && forwardsDimensions(d);
            if (dims || (autoTruncate != null && !mm)) {
                g.writeObjectFieldStart("parameters");
                if (autoTruncate != null && !mm) {
                    g.writeBooleanField("autoTruncate", autoTruncate.asBoolean());
                }
                if (dims) {
                    g.writeNumberField(mm ? "dimension" : "outputDimensionality", r.dimensions());
                }
                g.writeEndObject();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    protected BatchResult parse(byte[] body, Batch batch, EmbeddingCall call) {
        String name = call.deployment().provider().displayName();
        Answer a = UpstreamJson.read(body, name, VertexAdapter::field);
        if (a.vectors == null) {
            throw UpstreamErrors.unparseable(name, "no predictions array");
        }
        UpstreamJson.checkCount(name, a.vectors.length, batch.size());
        return new BatchResult(batch.offset(), a.vectors, a.tokens >= 0 ? a.tokens
                : ImageInputs.any(batch.texts()) ? 0 : batch.countTokens());
    }

    /** The answer's {@code predictions}: one per input (see {@link #prediction}). */
    private static boolean field(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if (!"predictions".equals(f) || v != JsonToken.START_ARRAY) {
            return false;
        }
        List<float[]> vectors = new ArrayList<>();
        while (p.nextToken() == JsonToken.START_OBJECT) {
            Prediction one = new Prediction(a);
            UpstreamJson.readFields(p, one, VertexAdapter::prediction);
            if (one.values == null) {
                throw UpstreamErrors.unparseable(a.provider, "a prediction without an embedding");
            }
            vectors.add(one.values);
        }
        a.vectors = vectors.toArray(float[][]::new);
        return true;
    }

    /** One prediction being read: its vector; its token count goes to the answer's. */
    private static final class Prediction {
        final Answer answer;
        float[] values;

        Prediction(Answer answer) {
            this.answer = answer;
        }
    }

    /** A prediction's fields: {@code textEmbedding} / {@code imageEmbedding} (multimodal), or {@link #embeddings}. */
    private static boolean prediction(Prediction one, String f, JsonToken v, JsonParser p) throws IOException {
        if (("textEmbedding".equals(f) || "imageEmbedding".equals(f)) && v == JsonToken.START_ARRAY) {
            one.values = JsonVectors.vector(p);
            return true;
        }
        if ("embeddings".equals(f) && v == JsonToken.START_OBJECT) {
            UpstreamJson.readFields(p, one, VertexAdapter::embeddings);
            return true;
        }
        return false;
    }

    /** A text model's {@code embeddings}: {@code values}, and {@code statistics} (see {@link #statistics}). */
    private static boolean embeddings(Prediction one, String f, JsonToken v, JsonParser p) throws IOException {
        if ("values".equals(f) && v == JsonToken.START_ARRAY) {
            one.values = JsonVectors.vector(p);
            return true;
        }
        if ("statistics".equals(f) && v == JsonToken.START_OBJECT) {
            UpstreamJson.readFields(p, one.answer, VertexAdapter::statistics);
            return true;
        }
        return false;
    }

    /** {@code statistics.token_count}, summed over the predictions into the answer's tokens. */
    private static boolean statistics(Answer a, String f, JsonToken v, JsonParser p) throws IOException {
        if ("token_count".equals(f) && v.isNumeric()) {
            a.tokens = Math.max(a.tokens, 0) + p.getIntValue();
            return true;
        }
        return false;
    }
}
