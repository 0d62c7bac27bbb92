package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static dev.embeddings.gateway.GatewayHarness.vectors;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The seed's three-model LiteLLM config, loaded unchanged: every endpoint, region and key comes from the
 * environment (AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME / AZURE_API_BASE pointing at
 * WireMock, AWS_REGION, fake AWS keys), and each model answers through /v1/embeddings.
 */
class SeedConfigTest {

    static final String SEED = """
            model_list:
              - model_name: sagemaker-embeddings
                litellm_params:
                  model: "sagemaker/berri-benchmarking-gpt-j-6b-fp16"
              - model_name: amazon-embeddings
                litellm_params:
                  model: "bedrock/amazon.titan-embed-text-v1"
              - model_name: azure-embeddings
                litellm_params:
                  model: "azure/azure-embedding-model"
                  api_base: "os.environ/AZURE_API_BASE"
                  api_key: "os.environ/AZURE_API_KEY"
                  api_version: "2023-07-01-preview"
            """;

    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        gw = GatewayHarness.start(SEED, Map.of(
                "AZURE_API_BASE", base,
                "AZURE_API_KEY", "azure-seed-key-0f1e2d",
                "AWS_REGION", "us-west-2",
                "AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", base,
                "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME", base));
        upstream.stubFor(post(urlEqualTo("/endpoints/berri-benchmarking-gpt-j-6b-fp16/invocations"))
                .willReturn(aResponse().withStatus(200).withBody(fixture("sagemaker/text-inputs.json"))));
        upstream.stubFor(post(urlEqualTo("/model/amazon.titan-embed-text-v1/invoke"))
                .willReturn(aResponse().withStatus(200).withBody(fixture("bedrock/titan-v1.json"))));
        upstream.stubFor(post(urlEqualTo(
                "/openai/deployments/azure-embedding-model/embeddings?api-version=2023-07-01-preview"))
                .willReturn(aResponse().withStatus(200).withBody(fixture("azure/embeddings-2.json"))));
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    @Test
    void allThreeModelsAreListed() throws Exception {
        HttpResponse<String> r = gw.get("/v1/models");
        assertEquals(200, r.statusCode(), r.body());
        List<String> ids = json(r).get("data").findValuesAsText("id");
        assertTrue(ids.containsAll(List.of("sagemaker-embeddings", "amazon-embeddings", "azure-embeddings")),
                ids.toString());
    }

    @Test
    void sagemakerEmbeddingsAnswers() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings",
                "{\"model\":\"sagemaker-embeddings\",\"input\":[\"first\",\"second\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("sagemaker-embeddings", body.get("model").asText());
        assertArrayEquals(new float[]{-0.0154251f, 0.0030132f, 0.0289921f, -0.0046377f}, vectors(body)[1], 0f);
        LoggedRequest req = upstream.findAll(postRequestedFor(urlEqualTo(
                "/endpoints/berri-benchmarking-gpt-j-6b-fp16/invocations"))).get(0);
        assertTrue(req.getHeader("Authorization").contains("/us-west-2/sagemaker/aws4_request"),
                req.getHeader("Authorization"));
    }

    @Test
    void amazonEmbeddingsAnswers() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"amazon-embeddings\",\"input\":\"hello\"}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("amazon-embeddings", body.get("model").asText());
        assertArrayEquals(new float[]{0.6328125f, -0.0234375f, 0.1650390625f, -0.3046875f}, vectors(body)[0], 0f);
        assertEquals(3, body.get("usage").get("prompt_tokens").asInt());
        LoggedRequest req = upstream.findAll(postRequestedFor(urlEqualTo(
                "/model/amazon.titan-embed-text-v1/invoke"))).get(0);
        assertTrue(req.getHeader("Authorization").startsWith(
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"), req.getHeader("Authorization"));
        assertTrue(req.getHeader("Authorization").contains("/us-west-2/bedrock/aws4_request"),
                req.getHeader("Authorization"));
    }

    @Test
    void azureEmbeddingsAnswers() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"azure-embeddings\",\"input\":[\"a\",\"b\"]}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json(r);
        assertEquals("azure-embeddings", body.get("model").asText());
        assertArrayEquals(new float[]{0.25f, -0.5f, 0.125f}, vectors(body)[1], 0f);
        LoggedRequest req = upstream.findAll(postRequestedFor(urlEqualTo(
                "/openai/deployments/azure-embedding-model/embeddings?api-version=2023-07-01-preview"))).get(0);
        assertEquals("azure-seed-key-0f1e2d", req.getHeader("api-key"));
    }
}
