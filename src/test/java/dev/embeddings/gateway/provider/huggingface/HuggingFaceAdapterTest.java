package dev.embeddings.gateway.provider.huggingface;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.huggingface.FeatureExtraction.Pooling;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Upstream resolution (no network: URLs are only built) and the feature-extraction shapes, without a gateway. */
class HuggingFaceAdapterTest {

    private static Deployment deployment(String model, Map<String, Object> params) {
        return new Deployment("m", Provider.HUGGINGFACE, model, new HashMap<>(params), Map.of(), 0);
    }

    private static HuggingFaceAdapter adapter(Map<String, String> env) {
        return new HuggingFaceAdapter(env::get);
    }

    @Test
    void serverlessUrlIsTheFeatureExtractionPipelineOfTheModel() {
        assertEquals("https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/"
                + "feature-extraction", HuggingFaceAdapter.serverlessUrl("BAAI/bge-small-en-v1.5"));
        assertEquals("https://router.huggingface.co/hf-inference/models/sentence-transformers/all-MiniLM-L6-v2/"
                        + "pipeline/feature-extraction",
                HuggingFaceAdapter.serverlessUrl("sentence-transformers/all-MiniLM-L6-v2"));
        assertEquals("https://router.huggingface.co/hf-inference/models/org/a%20b%3Fc/pipeline/feature-extraction",
                HuggingFaceAdapter.serverlessUrl("org/a b?c"));
    }

    @Test
    void withoutApiBaseTheServerlessEndpointIsUsed() {
        HuggingFaceAdapter a = adapter(Map.of());
        Deployment d = deployment("BAAI/bge-small-en-v1.5", Map.of("timeout", 5));
        a.prepare(d);
        HuggingFaceAdapter.Target t = a.target(d);
        assertEquals("https://router.huggingface.co/hf-inference/models/BAAI/bge-small-en-v1.5/pipeline/"
                + "feature-extraction", t.endpoint());
        assertFalse(t.openAi());
        assertEquals(Pooling.MEAN, t.pooling());
        assertNull(t.apiKey());
    }

    @Test
    void v1ApiBaseSelectsTheOpenAiFormat() {
        for (String base : new String[]{"http://tei:8080/v1", "http://tei:8080/v1/"}) {
            assertTrue(HuggingFaceAdapter.isOpenAiBase(base), base);
            assertEquals("http://tei:8080/v1/embeddings", HuggingFaceAdapter.openAiUrl(base));
            HuggingFaceAdapter a = adapter(Map.of());
            Deployment d = deployment("BAAI/bge-small-en-v1.5", Map.of("api_base", base));
            a.prepare(d);
            assertTrue(a.target(d).openAi());
            assertEquals("http://tei:8080/v1/embeddings", a.target(d).endpoint());
        }
        assertEquals("https://e.cloud/v1/embeddings?a=1", HuggingFaceAdapter.openAiUrl("https://e.cloud/v1?a=1"));
        assertTrue(HuggingFaceAdapter.isOpenAiBase("https://e.cloud/v1/?a=1"));
        // issue 9: TEI's OpenAI route given whole is the OpenAI format too, posted to as it is
        for (String base : new String[]{"http://tei:8080/v1/embeddings", "http://tei:8080/v1/embeddings/",
                "http://tei:8080/v1/embeddings?key=k"}) {
            assertTrue(HuggingFaceAdapter.isOpenAiBase(base), base);
            assertEquals(base, HuggingFaceAdapter.openAiUrl(base));
        }
        for (String base : new String[]{"http://tei:8080", "http://tei:8080/embed", "https://x.endpoints.huggingface"
                + ".cloud/", "http://tei:8080/v1x", "http://v1"}) {
            assertFalse(HuggingFaceAdapter.isOpenAiBase(base), base);
        }
    }

    @Test
    void nativeApiBaseIsPostedToAsItIs() {
        HuggingFaceAdapter a = adapter(Map.of());
        Deployment d = deployment("x/y", Map.of("api_base", "https://abc.us-east-1.aws.endpoints.huggingface.cloud"));
        a.prepare(d);
        assertEquals("https://abc.us-east-1.aws.endpoints.huggingface.cloud", a.target(d).endpoint());
        Deployment q = deployment("x/y", Map.of("api_base", "http://tei:8080/embed?foo=1"));
        a.prepare(q);
        assertEquals("http://tei:8080/embed?foo=1", a.target(q).endpoint());
    }

    @Test
    void apiBaseAndKeyFallBackToTheEnvironmentLikeLiteLlm() {
        Deployment d = deployment("BAAI/bge-small-en-v1.5", Map.of());
        HuggingFaceAdapter a = adapter(Map.of("HF_TOKEN", "hf-token", "HUGGINGFACE_API_KEY", "hf-api-key",
                "HF_API_BASE", "http://one/v1", "HUGGINGFACE_API_BASE", "http://two"));
        a.prepare(d);
        assertEquals("hf-api-key", a.target(d).apiKey());
        assertEquals("http://one/v1/embeddings", a.target(d).endpoint());

        a = adapter(Map.of("HF_TOKEN", "hf-token", "HUGGINGFACE_API_BASE", "http://two"));
        a.prepare(d);
        assertEquals("hf-token", a.target(d).apiKey());
        assertEquals("http://two", a.target(d).endpoint());

        Deployment own = deployment("m", Map.of("api_key", "own-key", "api_base", "http://three"));
        a.prepare(own);
        assertEquals("own-key", a.target(own).apiKey());
        assertEquals("http://three", a.target(own).endpoint());

        Deployment url = deployment("https://abc.endpoints.huggingface.cloud", Map.of());
        a = adapter(Map.of());
        a.prepare(url);
        assertEquals("https://abc.endpoints.huggingface.cloud", a.target(url).endpoint());
    }

    @Test
    void poolingIsMeanOrClsElseStartFails() {
        HuggingFaceAdapter a = adapter(Map.of());
        Deployment cls = deployment("m", Map.of("api_base", "http://tei", "pooling", "cls"));
        a.prepare(cls);
        assertEquals(Pooling.CLS, a.target(cls).pooling());
        Deployment mean = deployment("m", Map.of("api_base", "http://tei", "pooling", "MEAN"));
        a.prepare(mean);
        assertEquals(Pooling.MEAN, a.target(mean).pooling());
        for (String bad : new String[]{"max", "last", ""}) {
            ConfigException e = assertThrows(ConfigException.class,
                    () -> a.prepare(deployment("m", Map.of("api_base", "http://tei", "pooling", bad))));
            assertTrue(e.getMessage().contains("pooling") && e.getMessage().contains("'m'"), e.getMessage());
        }
    }

    @Test
    void aNonHttpApiBaseFailsStart() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> adapter(Map.of()).prepare(deployment("m", Map.of("api_base", "tei:8080"))));
        assertTrue(e.getMessage().contains("api_base"), e.getMessage());
    }

    @Test
    void estimatedTimeIsReadOnlyFromAJsonNumber() {
        assertEquals(20.37, HuggingFaceAdapter.estimatedTime(
                bytes("{\"error\":\"loading\",\"estimated_time\":20.37}")));
        assertNull(HuggingFaceAdapter.estimatedTime(bytes("{\"error\":\"loading\",\"estimated_time\":\"soon\"}")));
        assertNull(HuggingFaceAdapter.estimatedTime(bytes("{\"estimated_time\":-1}")));
        assertNull(HuggingFaceAdapter.estimatedTime(bytes("Service Unavailable")));
        assertNull(HuggingFaceAdapter.estimatedTime(null));
    }

    @Test
    void shapesAndPooling() {
        String tokens = "[[[1,2],[3,4],[5,9]],[[0.5,-1],[1.5,1]]]";
        assertArrayEquals(new float[][]{{3, 5}, {1, 0}}, parse(tokens, 2, Pooling.MEAN));
        assertArrayEquals(new float[][]{{1, 2}, {0.5f, -1}}, parse(tokens, 2, Pooling.CLS));
        assertArrayEquals(new float[][]{{2, 3}}, parse("[[[[1,2],[3,4]]]]", 1, Pooling.MEAN));
        assertArrayEquals(new float[][]{{1, 2}, {3, 4}}, parse("[[1,2],[3,4]]", 2, Pooling.MEAN));
        assertArrayEquals(new float[][]{{1, 2}}, parse("[1,2]", 1, Pooling.CLS));
        // one input, answered as [1][d]: a sentence vector, not one token
        assertArrayEquals(new float[][]{{1, 2}}, parse("[[1,2]]", 1, Pooling.MEAN));
        GatewayException e = assertThrows(GatewayException.class, () -> parse("[[1,2],[3]]", 2, Pooling.MEAN));
        assertEquals(502, e.status());
        assertTrue(e.getMessage().contains("2 and 1 dimensions"), e.getMessage());
        e = assertThrows(GatewayException.class, () -> parse("[[1,2]]", 2, Pooling.MEAN));
        assertTrue(e.getMessage().contains("1 embeddings for 2 inputs"), e.getMessage());
        e = assertThrows(GatewayException.class, () -> parse("{\"error\":\"x\"}", 1, Pooling.MEAN));
        assertTrue(e.getMessage().contains("error body with a 2xx status"), e.getMessage());
    }

    private static float[][] parse(String body, int n, Pooling pooling) {
        return FeatureExtraction.parse(bytes(body), n, pooling, "Hugging Face");
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
