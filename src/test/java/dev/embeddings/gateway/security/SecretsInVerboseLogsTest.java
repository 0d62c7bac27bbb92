package dev.embeddings.gateway.security;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.ChildGateway;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static dev.embeddings.gateway.Upstream.fixture;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * No configured secret in any output, whatever the log level: the real entry point with its shipped logging
 * configuration, every logger at TRACE ({@code --log-level TRACE}: Camel, Vert.x, Netty, Apache HttpClient's wire
 * and header loggers, the AWS SDK) and Camel's tracer on, serves successes and failures on Azure (api-key and Azure
 * AD token), Hugging Face (a key in the api_base query string) and Bedrock (AWS keys and a session token). Its
 * whole console output, the client's error bodies and /health are scanned for every secret.
 */
class SecretsInVerboseLogsTest {

    static final String MASTER = "sk-master-trace-4c1d9e";
    static final String AZ_KEY = "azk-7f3e1a9b2c4d";
    static final String AD_TOKEN = "eyJhbGciOiJSUzI1NiJ9.adtoken-value-93ab";
    static final String QUERY_KEY = "qsk-query-55e1d7";
    static final String HF_KEY = "hf-literal-key-0a9b8c7d";
    static final String AWS_ID = "AKIAZ7EXAMPLE4GATEWY";
    static final String AWS_SECRET = "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";
    static final String AWS_TOKEN = "FwoGZXIvYXdzEXAMPLEsessiontoken123";

    @Test
    void noSecretReachesTheConsoleAtTraceWithTracingOn() throws Exception {
        WireMockServer upstream = Upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/dep/embeddings"))
                .willReturn(okJson(fixture("azure/embeddings-2.json"))));
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/broken/embeddings")).willReturn(aResponse()
                .withStatus(500).withBody("{\"error\":{\"message\":\"key " + AZ_KEY + " token " + AD_TOKEN + "\"}}")));
        upstream.stubFor(post(urlPathEqualTo("/embed")).withQueryParam("key", com.github.tomakehurst.wiremock.client
                .WireMock.equalTo(QUERY_KEY)).willReturn(okJson(fixture("huggingface/tei-embed-2.json"))));
        upstream.stubFor(post(urlPathEqualTo("/model/amazon.titan-embed-text-v1/invoke"))
                .withHeader("X-Amz-Security-Token", containing(AWS_TOKEN))
                .willReturn(okJson(fixture("bedrock/titan-v1.json"))));
        String base = "http://127.0.0.1:" + upstream.port();
        String config = """
                model_list:
                  - model_name: az
                    litellm_params: {model: azure/dep, api_base: %1$s, api_key: os.environ/AZ_KEY}
                  - model_name: az-ad
                    litellm_params: {model: azure/broken, api_base: %1$s, azure_ad_token: os.environ/AD_TOKEN}
                  - model_name: tei
                    litellm_params:
                      model: huggingface/BAAI/bge-small-en-v1.5
                      api_base: "%1$s/embed?key=%2$s&x=1"
                      api_key: %3$s
                  - model_name: titan
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      api_base: %1$s
                      aws_region_name: us-east-1
                      aws_access_key_id: os.environ/AWS_ID
                      aws_secret_access_key: os.environ/AWS_SECRET
                      aws_session_token: os.environ/AWS_TOKEN
                general_settings:
                  master_key: os.environ/MK
                """.formatted(base, QUERY_KEY, HF_KEY);
        List<String> secrets = List.of(MASTER, AZ_KEY, AD_TOKEN, QUERY_KEY, HF_KEY, AWS_ID, AWS_SECRET, AWS_TOKEN);
        StringBuilder clientSaw = new StringBuilder();
        String output;
        try (ChildGateway gw = ChildGateway.start(config, Map.of("MK", MASTER, "AZ_KEY", AZ_KEY, "AD_TOKEN", AD_TOKEN,
                "AWS_ID", AWS_ID, "AWS_SECRET", AWS_SECRET, "AWS_TOKEN", AWS_TOKEN), List.of("-Xmx256m"),
                "--log-level", "TRACE", "--camel.main.tracing=true")) {
            String auth = "Bearer " + MASTER;
            for (String model : List.of("az", "tei")) {
                HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"" + model
                        + "\",\"input\":[\"a\",\"b\"]}", "Authorization", auth);
                assertEquals(200, r.statusCode(), model + ": " + r.body());
            }
            HttpResponse<String> titan = gw.post("/v1/embeddings", "{\"model\":\"titan\",\"input\":\"a\"}",
                    "api-key", MASTER);
            assertEquals(200, titan.statusCode(), titan.body());
            HttpResponse<String> broken = gw.post("/v1/embeddings", "{\"model\":\"az-ad\",\"input\":\"a\"}",
                    "Authorization", auth);
            assertEquals(502, broken.statusCode(), broken.body());
            clientSaw.append(broken.body());
            HttpResponse<String> wrong = gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"a\"}",
                    "Authorization", auth + "-wrong");
            assertEquals(401, wrong.statusCode());
            clientSaw.append(wrong.body());
            HttpResponse<String> health = gw.get("/health", "Authorization", auth);
            assertEquals(200, health.statusCode());
            clientSaw.append(health.body());
            assertTrue(health.body().contains("key=[redacted]"), health.body());
            gw.sigterm();
            gw.awaitExit(60);
            output = gw.output();
        } finally {
            upstream.stop();
        }
        // the capture really is verbose: Camel's tracer, the HTTP client's wire log and Vert.x at TRACE
        assertTrue(output.contains("org.apache.camel.Tracing") || output.contains("Tracing"), "no tracer output");
        assertTrue(output.contains("http-outgoing-") && output.contains(" >> \""), "no HttpClient wire log");
        assertTrue(output.contains("TRACE"), "no TRACE lines");
        assertTrue(output.length() > 200_000, "only " + output.length() + " characters of output");
        assertTrue(output.contains("[redacted]"), "nothing was redacted: the secrets never reached a logger");
        for (String secret : secrets) {
            assertFalse(output.contains(secret), "secret " + secret.substring(0, 6) + "… in the console output");
            assertFalse(clientSaw.toString().contains(secret), "secret " + secret.substring(0, 6) + "… sent to a client");
        }
    }
}
