package dev.embeddings.gateway.provider.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.Gateway;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.GatewayOptions;
import dev.embeddings.gateway.Upstream;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.provider.Base64VectorTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.GatewayHarness.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Over HTTP, end to end: an Azure deployment asks its upstream for base64 (the default) and another for float text
 * ({@code litellm_params.encoding_format: float}); both upstreams hold the same vectors. Every combination of upstream
 * and client encoding gives the client the same bits, and a base64 client of the base64 upstream gets the upstream's
 * own text.
 */
class AzureBase64Test {

    static final float[][] V = Base64VectorTest.vectors(3, 1536, 7);
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        upstream = Upstream.start();
        String base = "http://127.0.0.1:" + upstream.port();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/b64/embeddings")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Base64VectorTest.base64Answer(V, true))));
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/floaty/embeddings")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/json")
                .withBody(Base64VectorTest.floatAnswer(V))));
        gw = GatewayHarness.start("""
                model_list:
                  - model_name: b64
                    litellm_params: {model: azure/b64, api_base: %1$s, api_key: k}
                  - model_name: floaty
                    litellm_params: {model: azure/floaty, api_base: %1$s, api_key: k, encoding_format: float}
                """.formatted(base), Map.of());
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    private static JsonNode embed(String model, String format) throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model + "\",\"input\":[\"a\",\"b\",\"c\"],"
                + "\"encoding_format\":\"" + format + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    private static float[][] floats(JsonNode response) {
        float[][] out = new float[3][];
        for (int i = 0; i < 3; i++) {
            JsonNode e = response.get("data").get(i).get("embedding");
            out[i] = new float[e.size()];
            for (int j = 0; j < e.size(); j++) {
                out[i][j] = Float.parseFloat(e.get(j).asText());
            }
        }
        return out;
    }

    private static float[][] decoded(JsonNode response) {
        float[][] out = new float[3][];
        for (int i = 0; i < 3; i++) {
            out[i] = dev.embeddings.gateway.openai.Base64Floats.decode(response.get("data").get(i).get("embedding")
                    .asText());
        }
        return out;
    }

    private static JsonNode onlyBody(String path) throws Exception {
        var seen = upstream.findAll(postRequestedFor(urlPathEqualTo(path)));
        assertEquals(1, seen.size(), path);
        return GatewayHarness.JSON.readTree(seen.get(0).getBodyAsString());
    }

    @Test
    void asksForBase64UnlessTheDeploymentSaysFloat() throws Exception {
        upstream.resetRequests();
        embed("b64", "float");
        embed("floaty", "base64");
        assertEquals("base64", onlyBody("/openai/deployments/b64/embeddings")
                .get("encoding_format").asText());
        assertEquals("float", onlyBody("/openai/deployments/floaty/embeddings")
                .get("encoding_format").asText());
    }

    @Test
    void everyPathGivesTheSameBits() throws Exception {
        Base64VectorTest.assertBits(V, floats(embed("b64", "float")));      // base64 upstream, decoded
        Base64VectorTest.assertBits(V, floats(embed("floaty", "float")));   // float upstream, parsed
        Base64VectorTest.assertBits(V, decoded(embed("floaty", "base64"))); // float upstream, encoded
        Base64VectorTest.assertBits(V, decoded(embed("b64", "base64")));    // pass-through
    }

    @Test
    void aBase64ClientGetsTheUpstreamsOwnText() throws Exception {
        JsonNode passed = embed("b64", "base64");
        JsonNode encoded = embed("floaty", "base64");
        for (int i = 0; i < 3; i++) {
            assertEquals(Base64VectorTest.base64(V[i]), passed.get("data").get(i).get("embedding").asText());
        }
        assertEquals(encoded.get("data"), passed.get("data"), "same text whichever way it was made");
        assertEquals(5, passed.get("usage").get("prompt_tokens").asInt(), "the upstream's usage");
        assertEquals("b64", passed.get("model").asText());
    }

    @Test
    void anUnknownUpstreamEncodingStopsStartUp() throws Exception {
        Path cfg = Files.createTempFile("cfg", ".yaml");
        Files.writeString(cfg, """
                model_list:
                  - model_name: x
                    litellm_params: {model: azure/x, api_base: http://127.0.0.1:9, api_key: k, encoding_format: int8}
                """);
        ConfigException e = assertThrows(ConfigException.class, () -> Gateway.create(GatewayOptions.parse(
                "--config", cfg.toString(), "--port", "0"), k -> null));
        assertTrue(e.getMessage().contains("encoding_format must be float or base64"), e.getMessage());
        assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }
}
