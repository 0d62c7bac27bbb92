package dev.embeddings.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The gateway's input limits hold for every provider kind before any upstream call (WireMock's journal stays empty),
 * and fields that would retarget the upstream are refused at any depth of the body.
 */
class InputLimitsHttpTest {

    static WireMockServer upstream;
    static GatewayHarness gw;
    static final String MB = "a".repeat(1024 * 1024);

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: azure
                    litellm_params: {model: azure/dep, api_base: %1$s, api_key: k-123456}
                  - model_name: tei
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, api_base: %1$s/embed}
                  - model_name: titan
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v2:0
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: AKIAEXAMPLEEXAMPLE12
                      aws_secret_access_key: secret-secret-secret
                  - model_name: sagemaker
                    litellm_params:
                      model: sagemaker/my-endpoint
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: AKIAEXAMPLEEXAMPLE12
                      aws_secret_access_key: secret-secret-secret
                  - model_name: local
                    litellm_params: {model: local/all-minilm-l6-v2}
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
        upstream.stubFor(post(anyUrl()).willReturn(okJson(
                "{\"data\":[{\"index\":0,\"embedding\":[0.5,0.25]}],\"usage\":{\"prompt_tokens\":1}}")));
    }

    private static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body().length() > 500 ? r.body().substring(0, 500) : r.body());
        return json(r).get("error");
    }

    @Test
    void aOneMegabyteInputIsRefusedForEveryProviderBeforeAnyUpstreamCall() throws Exception {
        for (String model : List.of("azure", "tei", "titan", "sagemaker", "local")) {
            JsonNode e = error(gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":\"" + MB + "\"}"), 400);
            assertEquals("input", e.get("param").asText());
            assertEquals("input_too_long", e.get("code").asText());
            assertEquals("input has 1048576 characters; the gateway accepts at most 524288 per input "
                    + "(gateway.maxInputChars).", e.get("message").asText(), model);
        }
        assertEquals(0, upstream.getAllServeEvents().size(), "nothing was sent upstream");
    }

    @Test
    void theOffendingIndexIsNamed() throws Exception {
        String big = "b".repeat(600_000);
        JsonNode e = error(gw.post("/v1/embeddings", "{\"model\":\"azure\",\"input\":[\"x\",\"y\",\"" + big + "\"]}"),
                400);
        assertTrue(e.get("message").asText().startsWith("input[2] has 600000 characters"), e.toString());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void theRequestTotalIsBounded() throws Exception {
        String part = "c".repeat(500_000);
        StringBuilder body = new StringBuilder("{\"model\":\"azure\",\"input\":[");
        for (int i = 0; i < 9; i++) {
            body.append(i > 0 ? "," : "").append('"').append(part).append('"');
        }
        JsonNode e = error(gw.post("/v1/embeddings", body.append("]}").toString()), 400);
        assertEquals("input_too_long", e.get("code").asText());
        assertTrue(e.get("message").asText().startsWith("The inputs have 4500000 characters in all"), e.toString());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void tokenIdInputsAreBoundedToo() throws Exception {
        StringBuilder ids = new StringBuilder("[");
        for (int i = 0; i < 140_000; i++) {
            ids.append(i > 0 ? "," : "").append(i % 1000);
        }
        JsonNode e = error(gw.post("/v1/embeddings", "{\"model\":\"azure\",\"input\":[" + ids + "]]}"), 400);
        assertEquals("input[0] has 140000 token ids; the gateway accepts at most 131072 per input "
                + "(gateway.maxInputTokens).", e.get("message").asText());
        assertEquals(0, upstream.getAllServeEvents().size());
    }

    @Test
    void retargetingFieldsAreRefusedAtAnyDepth() throws Exception {
        for (String[] c : new String[][]{
                {"\"metadata\":{\"api_base\":\"http://evil.example\"}", "metadata.api_base"},
                {"\"extra_body\":{\"list\":[{\"api_key\":\"sk-x\"}]}", "extra_body.list[0].api_key"},
                {"\"options\":{\"deep\":{\"aws_secret_access_key\":\"x\"}}", "options.deep.aws_secret_access_key"},
                {"\"base_url\":\"http://evil.example\"", "base_url"}}) {
            JsonNode e = error(gw.post("/v1/embeddings", "{\"model\":\"azure\",\"input\":\"x\"," + c[0] + "}"), 400);
            assertEquals(c[1], e.get("param").asText());
            assertTrue(e.get("message").asText().contains("'" + c[1] + "' is not accepted"), e.toString());
        }
        assertEquals(0, upstream.getAllServeEvents().size());
        // anything else unknown is accepted and not forwarded
        HttpResponse<String> ok = gw.post("/v1/embeddings", "{\"model\":\"azure\",\"input\":\"x\","
                + "\"metadata\":{\"tags\":[\"a\"]},\"frobnicate\":{\"level\":3}}");
        assertEquals(200, ok.statusCode(), ok.body());
        String sent = upstream.getAllServeEvents().get(0).getRequest().getBodyAsString();
        assertTrue(!sent.contains("frobnicate") && !sent.contains("tags"), sent);
    }
}
