package dev.embeddings.gateway.security;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keys never reach a log line, whatever goes wrong: scans what a failing gateway logged (the test log file of
 * log4j2-test.xml, gateway classes at DEBUG) for the upstream key and the master key.
 */
class SecretsInLogsTest {

    @Test
    void keysNeverAppearInLogsOrResponses() throws Exception {
        String upstreamKey = "az-secret-7c1e9b44f0";
        String masterKey = "sk-master-5d2a8e91";
        Path logFile = Path.of("target/test-logs/tests.log");
        long offset = Files.exists(logFile) ? Files.size(logFile) : 0;
        WireMockServer upstream = Upstream.start();
        try (GatewayHarness gw = GatewayHarness.start("""
                model_list:
                  - model_name: az
                    litellm_params:
                      model: azure/dep
                      api_base: http://127.0.0.1:%d
                      api_key: os.environ/AZ_KEY
                      timeout: 1
                general_settings:
                  master_key: os.environ/MK
                router_settings:
                  num_retries: 1
                """.formatted(upstream.port()), Map.of("AZ_KEY", upstreamKey, "MK", masterKey))) {
            String auth = "Bearer " + masterKey;
            upstream.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(500)
                    .withBody("{\"error\":{\"message\":\"bad key " + upstreamKey + "\"}}")));
            assertEquals(502, gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"x\"}", "Authorization", auth)
                    .statusCode());
            upstream.stubFor(post(anyUrl()).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));
            assertEquals(502, gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"x\"}", "Authorization", auth)
                    .statusCode());
            upstream.stubFor(post(anyUrl()).willReturn(aResponse().withFixedDelay(1500).withStatus(200)));
            assertEquals(504, gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"x\"}", "Authorization", auth)
                    .statusCode());
            upstream.stubFor(post(anyUrl()).willReturn(aResponse().withStatus(200).withBody("not json")));
            var r = gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"x\"}", "Authorization", auth);
            assertEquals(502, r.statusCode());
            assertFalse(r.body().contains(upstreamKey));
            assertEquals(401, gw.post("/v1/embeddings", "{\"model\":\"az\",\"input\":\"x\"}", "Authorization",
                    "Bearer " + masterKey + "-wrong").statusCode());
            assertEquals(200, gw.get("/health", "Authorization", auth).statusCode());
        } finally {
            upstream.stop();
        }
        byte[] all = Files.readAllBytes(logFile);
        String logs = new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8);
        assertTrue(logs.contains("upstream call failed"), "the capture saw the gateway's own log lines");
        assertFalse(logs.contains(upstreamKey), "upstream key in logs");
        assertFalse(logs.contains(masterKey), "master key in logs");
    }
}
