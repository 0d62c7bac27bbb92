package dev.embeddings.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.openai.Base64Floats;
import org.apache.camel.ProducerTemplate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The per-input cache with the in-process (Caffeine) store, through the real gateway and a WireMock upstream:
 * partial hits, the exact upstream requests, order, encodings, usage, key separation, per-request controls, TTL,
 * and the Kamelet sharing the cache with the HTTP API.
 */
class EmbeddingCacheTest {

    static WireMockServer upstream;
    static GatewayHarness gw;
    static EmbeddingCache cache;

    @BeforeAll
    static void start() throws Exception {
        upstream = CacheEcho.server();
        String base = "http://127.0.0.1:" + upstream.port();
        String routes = Path.of("routes").toAbsolutePath().toString();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: echo
                    litellm_params: {model: azure/echo, api_base: %1$s, api_key: k, api_version: v1}
                  - model_name: echo-alias
                    litellm_params: {model: azure/echo, api_base: %1$s, api_key: k, api_version: v1}
                  - model_name: other
                    litellm_params: {model: azure/other, api_base: %1$s, api_key: k, api_version: v1}
                litellm_settings:
                  cache: true
                  cache_params: {type: local, max_size: 1000}
                """.formatted(base), Map.of(),
                "--camel.main.routesIncludePattern=file:" + routes + "/*.yaml,classpath:cache/kamelet-cache.yaml");
        cache = gw.gateway.camelContext().getRegistry().lookupByNameAndType(EmbeddingCache.BEAN, EmbeddingCache.class);
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetRequests();
    }

    private static HttpResponse<String> embed(String body, String... headers) throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", body, headers);
        assertEquals(200, r.statusCode(), r.body());
        return r;
    }

    private static String hits(HttpResponse<String> r) {
        return r.headers().firstValue(EmbeddingCache.HITS_HEADER).orElse(null);
    }

    private static int upstreamCalls() {
        return upstream.getAllServeEvents().size();
    }

    @Test
    void partialHitSendsOnlyTheMissesAndMergesByIndex() throws Exception {
        HttpResponse<String> first = embed("{\"model\":\"echo\",\"input\":[\"alpha\",\"beta\"]}");
        assertEquals("0/2", hits(first));
        assertEquals(List.of(List.of("alpha", "beta")), CacheEcho.inputs(upstream, "echo"));
        assertEquals(9, json(first).get("usage").get("prompt_tokens").asInt());

        upstream.resetRequests();
        HttpResponse<String> second = embed("{\"model\":\"echo\",\"input\":[\"gamma\",\"alpha\",\"delta\",\"beta\"]}");
        assertEquals("2/4", hits(second));
        // only the misses went upstream, in their order, in one call
        assertEquals(List.of(List.of("gamma", "delta")), CacheEcho.inputs(upstream, "echo"));
        float[][] v = vectors(json(second));
        String[] inputs = {"gamma", "alpha", "delta", "beta"};
        for (int i = 0; i < inputs.length; i++) {
            assertArrayEquals(CacheEcho.vector("echo", inputs[i], null), v[i], "input " + i);
        }
        // the misses' count from the upstream (5 + 5) plus the tokens stored with alpha (5) and beta (4)
        assertEquals(19, json(second).get("usage").get("prompt_tokens").asInt());
        assertEquals(19, json(second).get("usage").get("total_tokens").asInt());
        assertEquals("echo", json(second).get("model").asText());

        // everything cached: no upstream call at all, base64 of the same float32 values
        upstream.resetRequests();
        HttpResponse<String> third = embed("{\"model\":\"echo\",\"input\":[\"beta\",\"delta\",\"alpha\",\"gamma\"],"
                + "\"encoding_format\":\"base64\"}");
        assertEquals("4/4", hits(third));
        assertEquals(0, upstreamCalls());
        JsonNode data = json(third).get("data");
        String[] order = {"beta", "delta", "alpha", "gamma"};
        for (int i = 0; i < order.length; i++) {
            assertEquals(i, data.get(i).get("index").asInt());
            assertArrayEquals(CacheEcho.vector("echo", order[i], null),
                    Base64Floats.decode(data.get(i).get("embedding").asText()));
        }
        assertEquals(19, json(third).get("usage").get("prompt_tokens").asInt());
        assertTrue(third.headers().firstValue("x-gateway-deployment-id").isEmpty(), "no deployment served");
    }

    @Test
    void aStringAndAOneItemListShareTheEntryAndAliasesOfOneDeploymentToo() throws Exception {
        embed("{\"model\":\"echo\",\"input\":\"shared text\"}");
        assertEquals(1, upstreamCalls());
        HttpResponse<String> list = embed("{\"model\":\"echo\",\"input\":[\"shared text\"]}");
        assertEquals("1/1", hits(list));
        HttpResponse<String> alias = embed("{\"model\":\"echo-alias\",\"input\":\"shared text\"}");
        assertEquals("1/1", hits(alias));
        assertEquals("echo-alias", json(alias).get("model").asText());
        assertEquals(1, upstreamCalls());
        assertArrayEquals(CacheEcho.vector("echo", "shared text", null), vectors(json(list))[0]);
        assertEquals(11, json(list).get("usage").get("prompt_tokens").asInt());
        assertEquals(list.headers().firstValue("x-gateway-vector-space"),
                alias.headers().firstValue("x-gateway-vector-space"));
    }

    @Test
    void dimensionsInputTypeAndModelEachHaveTheirOwnEntries() throws Exception {
        String[] bodies = {
                "{\"model\":\"echo\",\"input\":\"sep\"}",
                "{\"model\":\"echo\",\"input\":\"sep\",\"dimensions\":4}",
                "{\"model\":\"echo\",\"input\":\"sep\",\"dimensions\":5}",
                "{\"model\":\"echo\",\"input\":\"sep\",\"input_type\":\"search_query\"}",
                "{\"model\":\"echo\",\"input\":\"sep\",\"input_type\":\"search_document\"}",
                "{\"model\":\"other\",\"input\":\"sep\"}"};
        java.util.Set<String> spaces = new java.util.HashSet<>();
        for (String b : bodies) {
            assertEquals("0/1", hits(embed(b)), b);
        }
        assertEquals(bodies.length, upstreamCalls());
        for (String b : bodies) {
            HttpResponse<String> again = embed(b);
            assertEquals("1/1", hits(again), b);
            spaces.add(again.headers().firstValue("x-gateway-vector-space").orElseThrow());
        }
        assertEquals(bodies.length, upstreamCalls());
        // the vector space header tells dimensions and models apart, not input_type (queries meet documents)
        assertEquals(4, spaces.size(), spaces.toString());
        float[] d4 = vectors(json(embed(bodies[1])))[0];
        assertArrayEquals(CacheEcho.vector("echo", "sep", 4), d4);
        assertArrayEquals(CacheEcho.vector("other", "sep", null), vectors(json(embed(bodies[5])))[0]);
    }

    @Test
    void noStoreNoCacheAndCacheControlHeaders() throws Exception {
        embed("{\"model\":\"echo\",\"input\":\"ns\",\"cache\":{\"no-store\":true}}");
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"ns\"}")), "no-store stored nothing");
        assertEquals("1/1", hits(embed("{\"model\":\"echo\",\"input\":\"ns\"}")));
        assertEquals(2, upstreamCalls());

        // no-cache reads nothing but stores what it got
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"ns\",\"cache\":{\"no-cache\":true}}")));
        assertEquals(3, upstreamCalls());
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"ns\"}", "Cache-Control", "no-cache")));
        assertEquals(4, upstreamCalls());
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"hdr\"}", "Cache-Control", "no-store")));
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"hdr\"}")));
        assertEquals("1/1", hits(embed("{\"model\":\"echo\",\"input\":\"hdr\"}", "Cache-Control",
                "max-age=0, no-transform")));
        assertEquals(6, upstreamCalls());

        HttpResponse<String> bad = gw.post("/v1/embeddings", "{\"model\":\"echo\",\"input\":\"x\",\"cache\":{\"ttl\":-1}}");
        assertEquals(400, bad.statusCode());
        assertEquals("cache", json(bad).get("error").get("param").asText());
        assertEquals(400, gw.post("/v1/embeddings", "{\"model\":\"echo\",\"input\":\"x\",\"cache\":\"no\"}").statusCode());
    }

    @Test
    void aPerRequestTtlExpires() throws Exception {
        embed("{\"model\":\"echo\",\"input\":\"short-lived\",\"cache\":{\"ttl\":1}}");
        assertEquals("1/1", hits(embed("{\"model\":\"echo\",\"input\":\"short-lived\"}")));
        Thread.sleep(1_300);
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"short-lived\"}")));
        assertEquals(2, upstreamCalls());
    }

    @Test
    void theKameletUsesTheSameCacheAsTheHttpApi() throws Exception {
        long hitsBefore = cache.hits();
        embed("{\"model\":\"echo\",\"input\":[\"k1\",\"k2\"]}");
        ProducerTemplate template = gw.gateway.camelContext().createProducerTemplate();
        @SuppressWarnings("unchecked")
        List<float[]> v = template.requestBody("direct:cache-kamelet", List.of("k2", "k3", "k1"), List.class);
        assertEquals(List.of(List.of("k1", "k2"), List.of("k3")), CacheEcho.inputs(upstream, "echo"));
        assertArrayEquals(CacheEcho.vector("echo", "k2", null), v.get(0));
        assertArrayEquals(CacheEcho.vector("echo", "k3", null), v.get(1));
        assertArrayEquals(CacheEcho.vector("echo", "k1", null), v.get(2));
        assertEquals(hitsBefore + 2, cache.hits());
        assertTrue(cache.misses() >= 3);
        assertEquals(0, cache.errors());
        assertEquals("local", cache.storeType());
    }

    @Test
    void tokenIdInputsAreCachedApartFromTexts() throws Exception {
        HttpResponse<String> ids = embed("{\"model\":\"echo\",\"input\":[[15339, 1917]]}");
        assertEquals("0/1", hits(ids));
        assertEquals("1/1", hits(embed("{\"model\":\"echo\",\"input\":[15339, 1917]}")));
        assertEquals(List.of(List.of("[15339,1917]")), CacheEcho.inputs(upstream, "echo"));
        // the same words as text ("hello world" in cl100k_base): another entry
        assertEquals("0/1", hits(embed("{\"model\":\"echo\",\"input\":\"hello world\"}")));
        assertEquals(2, upstreamCalls());
    }
}
