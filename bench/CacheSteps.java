import dev.embeddings.gateway.cache.CacheSettings;
import dev.embeddings.gateway.cache.CachedVector;
import dev.embeddings.gateway.cache.EmbeddingCache;
import dev.embeddings.gateway.cache.LocalVectorStore;
import dev.embeddings.gateway.cache.RedisVectorStore;
import dev.embeddings.gateway.cache.VectorStore;
import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.provider.EmbeddingCall;
import dev.embeddings.gateway.provider.EmbeddingResult;
import dev.embeddings.gateway.routing.DeploymentRouter;
import dev.embeddings.gateway.routing.RouterSettings;
import dev.embeddings.gateway.routing.VectorSpaces;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The cache steps of direct:embed on their own, in one thread (bench/cache.sh runs it): a 64-input request of
 * 1536-dimension vectors with 63 inputs cached, through lookup → (one fresh vector) → store → merge, against the
 * local store and a Redis store. Prints the wall and CPU time per request of the three steps together, which is
 * what the cache adds to a request (the attempts it saves are not counted).
 * args: redis-port [iterations=2000]
 */
public class CacheSteps {

    public static void main(String[] a) throws Exception {
        int redisPort = Integer.parseInt(a[0]);
        int iterations = a.length > 1 ? Integer.parseInt(a[1]) : 2000;
        GatewayConfig config = new ConfigLoader(Map.<String, String>of()::get).parse("""
                model_list:
                  - model_name: bench-cache
                    litellm_params: {model: azure/bench-cache, api_base: "http://127.0.0.1:1", api_key: k}
                """, "bench");
        ModelRegistry registry = new ModelRegistry(config);
        RouterSettings router = RouterSettings.from(config);
        VectorSpaces spaces = VectorSpaces.of(config, router);
        DeploymentRouter deployments = new DeploymentRouter(registry, router);

        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 63; i++) {
            inputs.add("Chunk " + i + " of a document that is being re-indexed, with a few words of text.");
        }
        inputs.add("A new chunk.");
        EmbeddingRequest request = new EmbeddingRequest("bench-cache", inputs, null, EncodingFormat.BASE64, null,
                null, Map.of());
        Random rnd = new Random(7);
        float[][] vectors = new float[64][1536];
        for (float[] v : vectors) {
            for (int j = 0; j < v.length; j++) {
                v[j] = rnd.nextFloat() - 0.5f;
            }
        }
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.start();
        CacheSettings.Redis redis = new CacheSettings.Redis("redis://127.0.0.1:" + redisPort, List.of(), null, null,
                false, null, true, CacheSettings.DEFAULT_TIMEOUT_MS);
        for (VectorStore store : List.of(new LocalVectorStore(0, CacheSettings.DEFAULT_MAX_BYTES),
                new RedisVectorStore(redis))) {
            CacheSettings s = new CacheSettings(true, store.type(), 3600, "bench-" + System.nanoTime(), 0,
                    CacheSettings.DEFAULT_MAX_BYTES, null);
            EmbeddingCache cache = new EmbeddingCache(s, store, spaces, registry);
            long t0 = System.nanoTime();
            while (!store.available() && System.nanoTime() - t0 < 5_000_000_000L) {
                Thread.sleep(10);
            }
            // prime the 63 shared chunks
            List<String> keys = new dev.embeddings.gateway.cache.CacheKeys(s.namespace())
                    .keys(spaces.forRequest("bench-cache"), request);
            List<CachedVector> values = new ArrayList<>();
            for (int i = 0; i < 63; i++) {
                values.add(new CachedVector(vectors[i], 16));
            }
            store.putAll(keys.subList(0, 63), values, 3600);
            Thread.sleep(500);
            EmbeddingResult fresh = new EmbeddingResult(new float[][]{vectors[63]}, 4);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long wall = 0;
            long cpu = 0;
            int measured = 0;
            int hits = 0;
            for (int it = 0; it < iterations; it++) {
                // a new 64th chunk each time: 63 hits and one miss, which the store step then stores
                List<String> texts = new ArrayList<>(inputs.subList(0, 63));
                texts.add("A new chunk, number " + it + ".");
                Exchange ex = new DefaultExchange(ctx);
                ex.getMessage().setBody(request.withInputs(texts, null));
                deployments.begin(ex);
                long w0 = System.nanoTime();
                long c0 = mx.getCurrentThreadCpuTime();
                cache.lookup(ex);
                // the attempt loop would embed the miss here
                EmbeddingRequest misses = ex.getMessage().getBody(EmbeddingRequest.class);
                ex.setProperty(EmbeddingCall.PROPERTY, new EmbeddingCall(misses, registry.group("bench-cache").get(0)));
                ex.getMessage().setBody(fresh);
                cache.store(ex);
                cache.merge(ex);
                long w1 = System.nanoTime();
                long c1 = mx.getCurrentThreadCpuTime();
                if (it >= iterations / 2) {
                    wall += w1 - w0;
                    cpu += c1 - c0;
                    measured++;
                    hits += ex.getProperty(EmbeddingCache.HITS_PROPERTY, Integer.class);
                }
            }
            System.out.printf("%-5s store: lookup+store+merge of 64 inputs (%d hits avg): wall %.3f ms, cpu %.3f ms "
                    + "per request (%d requests after %d warm-up)%n", store.type(), hits / measured,
                    wall / 1e6 / measured, cpu / 1e6 / measured, measured, iterations - measured);
            store.close();
        }
        ctx.stop();
    }
}
