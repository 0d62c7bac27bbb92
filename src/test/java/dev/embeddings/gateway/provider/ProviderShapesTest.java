package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.openai.GatewayException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.assertJson;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 9, provider request shapes: TEI's OpenAI route given whole, batches split by bytes as well as by count,
 * per-deployment defaults forwarded, api_base query strings kept (Azure's deployment path before the query), and
 * compressed upstream answers (asked for identity; gzip/deflate decoded within a bound, anything else a clean 502).
 */
class ProviderShapesTest {

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: tei
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, api_base: "%1$s/tei", truncate: true}
                  - model_name: tei-openai-route
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, api_base: "%1$s/tei2/v1/embeddings"}
                  - model_name: tei-small-budget
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, api_base: "%1$s/tei3", max_batch_bytes: 10}
                  - model_name: azure-query
                    litellm_params:
                      model: azure/dep-q
                      api_base: "%1$s/az?sig=abc%%3D&sp=r"
                      api_key: az-key-123456
                      api_version: "2024-10-21"
                  - model_name: openai-compat
                    litellm_params: {model: hosted_vllm/BAAI/bge-m3, api_base: "%1$s/v/v1"}
                """.formatted(base), Map.of());
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @BeforeEach
    void reset() {
        upstream.resetAll();
    }

    @Test
    void teiOpenAiRouteGivenWholeGetsTheOpenAiBody() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/tei2/v1/embeddings")).willReturn(aResponse().withStatus(200)
                .withBody(fixture("huggingface/openai-embeddings-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei-openai-route\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, r.statusCode(), r.body());
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/tei2/v1/embeddings", req.getUrl());
        assertJson("{\"input\":[\"a\",\"b\"],\"model\":\"BAAI/bge-small-en-v1.5\",\"encoding_format\":\"base64\"}",
                req.getBodyAsString());
    }

    @Test
    void largeInputsAreSplitByBytesAndTheDeploymentsTruncateIsForwarded() throws Exception {
        // 30 inputs of 100 kB: one 3 MB call before, which TEI refuses with 413; now calls of at most 1 MB
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < 30; i++) {
            // 100,000 bytes of words (one 100 kB "word" would make the cl100k usage count crawl)
            in.append(i > 0 ? "," : "").append('"').append((char) ('a' + i % 26)).append("bcd efgh ".repeat(11_111))
                    .append('"');
        }
        List<ServeEvent> events;
        upstream.stubFor(post(urlPathEqualTo("/tei")).willReturn(aResponse().withStatus(200)
                .withBody("[[1],[1],[1],[1],[1],[1],[1],[1],[1],[1]]")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei\",\"input\":[" + in + "]}");
        assertEquals(200, r.statusCode(), r.body());
        events = upstream.getAllServeEvents();
        assertEquals(3, events.size(), "30 × 100 kB in calls of at most 1 MB");
        for (ServeEvent e : events) {
            byte[] body = e.getRequest().getBody();
            assertTrue(body.length < 1_100_000, "a call of " + body.length + " bytes");
            JsonNode sent = GatewayHarness.JSON.readTree(body);
            assertEquals(10, sent.get("inputs").size());
            assertEquals(true, sent.get("truncate").asBoolean(), "litellm_params.truncate forwarded");
        }
        List<Character> firsts = events.stream().map(e -> {
            try {
                return GatewayHarness.JSON.readTree(e.getRequest().getBody()).get("inputs").get(0).asText().charAt(0);
            } catch (Exception ex) {
                throw new IllegalStateException(ex);
            }
        }).sorted(Comparator.naturalOrder()).toList();
        assertEquals(List.of('a', 'k', 'u'), firsts, "each call carries ten consecutive inputs");

        // the client's own truncate wins
        upstream.resetRequests();
        gw.post("/v1/embeddings", "{\"model\":\"tei\",\"input\":[\"short\"],\"truncate\":false}");
        assertJson("{\"inputs\":[\"short\"],\"truncate\":false}", ProviderChecks.only(upstream).getBodyAsString());
    }

    @Test
    void maxBatchBytesFromTheConfigWinsAndAnOversizedInputGoesAlone() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/tei3")).willReturn(aResponse().withStatus(200).withBody("[[0.5]]")));
        upstream.stubFor(post(urlPathEqualTo("/tei3")).withRequestBody(
                com.github.tomakehurst.wiremock.client.WireMock.containing("aaaa")).willReturn(aResponse()
                .withStatus(200).withBody("[[0.25],[0.5]]")));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"tei-small-budget\",\"input\":[\"aaaa\","
                + "\"bbbb\",\"a much longer input than ten bytes\"]}");
        assertEquals(200, r.statusCode(), r.body());
        // 4 + 4 bytes fit in 10; the long one gets a call of its own
        List<String> bodies = upstream.getAllServeEvents().stream().map(e -> e.getRequest().getBodyAsString())
                .sorted().toList();
        assertEquals(List.of("{\"inputs\":[\"a much longer input than ten bytes\"]}",
                "{\"inputs\":[\"aaaa\",\"bbbb\"]}"), bodies);
        float[][] v = vectors(json(r));
        assertArrayEquals(new float[][]{{0.25f}, {0.5f}, {0.5f}}, v);
    }

    @Test
    void azureKeepsTheApiBaseQueryAfterTheDeploymentPath() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/az/openai/deployments/dep-q/embeddings")).willReturn(aResponse()
                .withStatus(200).withBody(fixture("azure/embeddings-2.json"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"azure-query\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, r.statusCode(), r.body());
        // the path first, then every parameter of the base and api-version (camel-http sorts the query)
        LoggedRequest req = ProviderChecks.only(upstream);
        assertEquals("/az/openai/deployments/dep-q/embeddings", req.getUrl().substring(0, req.getUrl().indexOf('?')));
        assertEquals(java.util.Set.of("sig=abc%3D", "sp=r", "api-version=2024-10-21"),
                java.util.Set.of(req.getUrl().substring(req.getUrl().indexOf('?') + 1).split("&")));
    }

    @Test
    void awsEndpointsWithAQueryAreRefusedAtStart() {
        ConfigException e = assertThrows(ConfigException.class, () -> GatewayHarness.start("""
                model_list:
                  - model_name: t
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v1, aws_region_name: us-east-1,
                                     api_base: "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com?x=1"}
                """, Map.of()));
        assertEquals("model_list entry 't': litellm_params.api_base must not carry a query string (an AWS endpoint "
                + "override is scheme, host, port and path)", e.getMessage());
    }

    @Test
    void gzipAndDeflateAnswersAreDecodedAndIdentityIsAskedFor() throws Exception {
        byte[] plain = fixture("openai/embeddings-2.json").getBytes(StandardCharsets.UTF_8);
        for (String coding : new String[]{"gzip", "deflate"}) {
            upstream.resetAll();
            upstream.stubFor(post(urlPathEqualTo("/v/v1/embeddings")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Encoding", coding)
                    .withBody(compress(plain, coding))));
            HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"openai-compat\",\"input\":[\"a\",\"b\"]}");
            assertEquals(200, r.statusCode(), coding + ": " + r.body());
            assertArrayEquals(new float[]{0.0123f, -0.0456f, 0.0789f}, vectors(json(r))[1], 0f);
            assertEquals("identity", ProviderChecks.only(upstream).getHeader("Accept-Encoding"));
        }
        // an error page compressed anyway still gives its message
        upstream.resetAll();
        upstream.stubFor(post(urlPathEqualTo("/v/v1/embeddings")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Encoding", "gzip")
                .withBody(compress("{\"message\":\"bad input here\"}".getBytes(StandardCharsets.UTF_8), "gzip"))));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"openai-compat\",\"input\":\"a\"}");
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("vLLM upstream returned HTTP 400: bad input here", json(r).get("error").get("message").asText());
    }

    @Test
    void otherEncodingsAreAClean502() throws Exception {
        upstream.stubFor(post(urlPathEqualTo("/v/v1/embeddings")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Encoding", "br").withBody(new byte[]{0x1b, 0x03, 0x00, (byte) 0xf8})));
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"openai-compat\",\"input\":[\"a\"]}");
        assertEquals(502, r.statusCode(), r.body());
        JsonNode e = json(r).get("error");
        assertEquals("upstream_bad_response", e.get("code").asText());
        assertEquals("vLLM upstream returned an unreadable response: a body in Content-Encoding 'br', which the "
                + "gateway does not decode (it asks for identity)", e.get("message").asText());
        upstream.stubFor(post(urlPathEqualTo("/v/v1/embeddings")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Encoding", "gzip").withBody("not gzip at all")));
        r = gw.post("/v1/embeddings", "{\"model\":\"openai-compat\",\"input\":[\"a\"]}");
        assertEquals(502, r.statusCode(), r.body());
        assertEquals("vLLM upstream returned an unreadable response: a gzip body that could not be decoded",
                json(r).get("error").get("message").asText());
    }

    @Test
    void inflatingStopsAtTheBound() throws Exception {
        byte[] zeros = new byte[1_000_000];
        byte[] gz = compress(zeros, "gzip");
        assertTrue(gz.length < 5_000);
        GatewayException e = assertThrows(GatewayException.class, () -> ContentEncodings.decode(gz, "gzip", "X",
                100_000));
        assertEquals(502, e.status());
        assertEquals("X upstream returned an unreadable response: a compressed body that inflates past 100000 bytes",
                e.getMessage());
        assertEquals(1_000_000, ContentEncodings.decode(gz, "gzip", "X", 1_000_000).length);
    }

    static byte[] compress(byte[] b, String coding) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (var z = "gzip".equals(coding) ? new GZIPOutputStream(out) : new DeflaterOutputStream(out)) {
            z.write(b);
        }
        return out.toByteArray();
    }
}
