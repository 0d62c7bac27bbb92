package dev.embeddings.gateway.cache;

import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.routing.DeploymentRouter;
import dev.embeddings.gateway.routing.VectorSpaces;
import dev.embeddings.gateway.routing.VectorSpaces.VectorSpace;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * The per-input embedding cache's steps in the shared core {@code direct:embed} (so the HTTP API, the Kamelet and the
 * Kafka pipeline all use it), bean {@value #BEAN}:
 * <pre>
 *   resolve-model → cache-lookup → attempts (only the misses; skipped when every input hit)
 *                 → cache-store → cache-merge
 * </pre>
 * <ul>
 *   <li>{@link #lookup}: one key per input ({@link CacheKeys}), one read of the store ({@link VectorStore}:
 *       Caffeine or Redis, by {@code cache_params.type}); the attempts then embed only the misses, in order.</li>
 *   <li>{@link #store}: the misses' vectors, each with its share of the upstream's token count (exact for one
 *       input; several share the count in proportion to their length), for {@code cache_params.ttl} or the
 *       request's {@code ttl}, unless {@code no-store}.</li>
 *   <li>{@link #merge}: the result in input order: cached vectors and fresh ones; {@code prompt_tokens} = the
 *       upstream's count for the misses + the stored counts of the hits. Headers {@value #HITS_HEADER}
 *       {@code <hits>/<inputs>} (cache on) and {@value VectorSpaces#HEADER} (always).</li>
 * </ul>
 * The cache reads only when every deployment that may serve the request (its group and fallbacks) is in one vector
 * space ({@link VectorSpaces#forRequest}); it stores under the space of the deployment that served. Hit, miss,
 * store error and outage counts are plain methods ({@link #hits()}, {@link #misses()}, {@link #errors()},
 * {@link #outages()}) for the metrics.
 */
public final class EmbeddingCache implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingCache.class);
    /** The bean name the routes call. */
    public static final String BEAN = "embeddingCache";
    /** Response header: {@code <inputs served from the cache>/<inputs>}. */
    public static final String HITS_HEADER = "x-gateway-cache-hits";
    /** Exchange property: the request's {@code Cache-Control} header, saved before the HTTP route drops headers. */
    public static final String CACHE_CONTROL_PROPERTY = "cacheControlHeader";
    /** Exchange property (int) set by {@link #merge}: inputs served from the cache. */
    public static final String HITS_PROPERTY = "cacheHits";
    static final String LOOKUP_PROPERTY = "cacheLookup";

    /** One request's way through the cache steps. */
    static final class Lookup {
        final EmbeddingRequest request;
        CacheControls controls = CacheControls.NONE;
        VectorSpace space;
        List<String> keys;
        CachedVector[] found;
        int[] misses;
        int hits;

        Lookup(EmbeddingRequest request) {
            this.request = request;
            misses = allIndexes(request.size());
        }
    }

    private final CacheSettings settings;
    private final VectorStore store;
    private final CacheKeys keys;
    private final VectorSpaces spaces;
    private final ModelRegistry registry;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /** {@code store} is null when the cache is off; vector spaces and their header work either way. */
    public EmbeddingCache(CacheSettings settings, VectorStore store, VectorSpaces spaces, ModelRegistry registry) {
        this.settings = settings;
        this.store = store;
        this.keys = new CacheKeys(settings.namespace());
        this.spaces = spaces;
        this.registry = registry;
    }

    /** The cache of {@code config} ({@link CacheSettings#from}), its store started (Redis connects in the background). */
    public static EmbeddingCache create(GatewayConfig config, Function<String, String> env, VectorSpaces spaces,
                                        ModelRegistry registry) {
        CacheSettings s = CacheSettings.from(config, env);
        VectorStore store = null;
        if (s.enabled()) {
            store = s.type().equals("redis") ? new RedisVectorStore(s.redis())
                    : new LocalVectorStore(s.maxEntries(), s.maxBytes());
            LOG.info("embedding cache on: {} store{}, ttl {} s", s.type(),
                    s.redis() != null ? " at " + s.redis().where() : "", s.ttlSeconds());
        }
        return new EmbeddingCache(s, store, spaces, registry);
    }

    /** Camel entry in the HTTP route, before it drops the client's headers: keeps {@code Cache-Control}. */
    public void readHeaders(Exchange exchange) {
        String cc = exchange.getMessage().getHeader("Cache-Control", String.class);
        if (cc != null) {
            exchange.setProperty(CACHE_CONTROL_PROPERTY, cc);
        }
    }

    /**
     * Camel entry after {@code resolve-model}: body EmbeddingRequest. Narrows the attempts to the inputs the store
     * does not have (DeploymentRouter.narrow), or to none when it has them all. Throws GatewayException 400
     * (param {@code cache}) for malformed per-request controls.
     */
    public void lookup(Exchange exchange) {
        EmbeddingRequest request = exchange.getMessage().getBody(EmbeddingRequest.class);
        Lookup l = new Lookup(request);
        exchange.setProperty(LOOKUP_PROPERTY, l);
        if (store == null) {
            return;
        }
        l.controls = CacheControls.of(request.controls() == null ? null : request.controls().get("cache"),
                exchange.getProperty(CACHE_CONTROL_PROPERTY, String.class));
        l.space = spaces.forRequest(request.model());
        int n = request.size();
        if (l.space == null || l.controls.noCache()) {
            misses.add(n);
            return;
        }
        l.keys = keys.keys(l.space, request);
        CachedVector[] found = store.getAll(l.keys);
        int h = 0;
        for (CachedVector v : found) {
            h += v != null ? 1 : 0;
        }
        hits.add(h);
        misses.add(n - h);
        if (h == 0) {
            return;
        }
        l.found = found;
        l.hits = h;
        l.misses = new int[n - h];
        for (int i = 0, j = 0; i < n; i++) {
            if (found[i] == null) {
                l.misses[j++] = i;
            }
        }
        DeploymentRouter.narrow(exchange, h == n ? null : subRequest(request, l.misses));
    }

    /**
     * Camel entry after the attempts: body EmbeddingResult of the misses (nothing to do when every input hit).
     * Stores them in the background unless the cache is off or the request said {@code no-store}.
     */
    public void store(Exchange exchange) {
        Lookup l = exchange.getProperty(LOOKUP_PROPERTY, Lookup.class);
        if (store == null || l == null || l.misses.length == 0 || l.controls.noStore()) {
            return;
        }
        EmbeddingResult result = exchange.getMessage().getBody(EmbeddingResult.class);
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        float[][] vectors = result == null ? null : result.vectors();
        if (vectors == null || call == null || vectors.length != l.misses.length) {
            return;
        }
        VectorSpace served = spaces.ofDeployment(call.deployment());
        List<String> missKeys;
        if (l.keys != null && served.id().equals(l.space.id())) {
            missKeys = new ArrayList<>(l.misses.length);
            for (int i : l.misses) {
                missKeys.add(l.keys.get(i));
            }
        } else {
            missKeys = keys.keys(served, call.request());
        }
        long[] weights = new long[l.misses.length];
        for (int j = 0; j < weights.length; j++) {
            weights[j] = Math.max(1, l.request.inputLength(l.misses[j]));
        }
        int[] tokens = TokenShares.apportion(result.promptTokens(), weights);
        List<CachedVector> values = new ArrayList<>(vectors.length);
        for (int j = 0; j < vectors.length; j++) {
            values.add(new CachedVector(vectors[j], tokens[j]));
        }
        store.putAll(missKeys, values, l.controls.ttlSeconds() != null ? l.controls.ttlSeconds()
                : settings.ttlSeconds());
    }

    /**
     * Camel entry at the end of {@code direct:embed}: body EmbeddingResult for every input in order (hits and misses
     * merged by index), the exchange's {@code embeddingCall} carrying the client's whole request, and the headers.
     */
    public void merge(Exchange exchange) {
        Lookup l = exchange.getProperty(LOOKUP_PROPERTY, Lookup.class);
        if (l == null) {
            return;
        }
        exchange.removeProperty(LOOKUP_PROPERTY);
        Message m = exchange.getMessage();
        EmbeddingCall call = exchange.getProperty(EmbeddingCall.PROPERTY, EmbeddingCall.class);
        EmbeddingRequest request = l.request;
        if (l.found != null) {
            EmbeddingResult fresh = l.misses.length > 0 ? m.getBody(EmbeddingResult.class) : null;
            float[][] freshVectors = fresh != null ? fresh.vectors() : new float[0][];
            float[][] out = new float[request.size()][];
            long tokens = fresh != null ? fresh.promptTokens() : 0;
            for (int i = 0; i < out.length; i++) {
                if (l.found[i] != null) {
                    out[i] = l.found[i].vector();
                    tokens += l.found[i].promptTokens();
                }
            }
            for (int j = 0; j < l.misses.length; j++) {
                out[l.misses[j]] = freshVectors[j];
            }
            m.setBody(new EmbeddingResult(out, (int) Math.min(Integer.MAX_VALUE, tokens)));
        }
        VectorSpace space = call != null ? spaces.ofDeployment(call.deployment()) : l.space;
        if (space != null) {
            m.setHeader(VectorSpaces.HEADER, VectorSpaces.header(space, request.dimensions()));
        }
        if (store != null) {
            m.setHeader(HITS_HEADER, l.hits + "/" + request.size());
        }
        exchange.setProperty(HITS_PROPERTY, l.hits);
        // what comes after direct:embed (the normalizer, the Kamelet, spend) reads the client's whole request; when
        // every input hit, no deployment was called and the call names the group's first
        exchange.setProperty(EmbeddingCall.PROPERTY, new EmbeddingCall(request,
                call != null ? call.deployment() : registry.group(request.model()).get(0)));
    }

    /** Whether the cache is on ({@code litellm_settings.cache: true}). */
    public boolean enabled() {
        return store != null;
    }

    /** {@code local}, {@code redis}, or {@code off}. */
    public String storeType() {
        return store == null ? "off" : store.type();
    }

    /** Inputs served from the cache since start. */
    public long hits() {
        return hits.sum();
    }

    /** Inputs looked up and not found, or not looked up ({@code no-cache}, spaces crossed) since start. */
    public long misses() {
        return misses.sum();
    }

    /** Failed or timed-out store commands since start (Redis); 0 for the local store. */
    public long errors() {
        return store == null ? 0 : store.errors();
    }

    /** Redis outages since start (each logged one WARN); 0 for the local store. */
    public long outages() {
        return store == null ? 0 : store.outages();
    }

    /** Whether the store serves now (false during a Redis outage, or when the cache is off). */
    public boolean storeAvailable() {
        return store != null && store.available();
    }

    /** The store, for tests and diagnostics; null when the cache is off. */
    public VectorStore store() {
        return store;
    }

    @Override
    public void close() {
        if (store != null) {
            store.close();
        }
    }

    private static EmbeddingRequest subRequest(EmbeddingRequest r, int[] indexes) {
        if (r.texts() != null) {
            List<String> texts = new ArrayList<>(indexes.length);
            for (int i : indexes) {
                texts.add(r.texts().get(i));
            }
            return r.withInputs(texts, null);
        }
        List<int[]> ids = new ArrayList<>(indexes.length);
        for (int i : indexes) {
            ids.add(r.tokenIds().get(i));
        }
        return r.withInputs(null, ids);
    }

    private static int[] allIndexes(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }
}
