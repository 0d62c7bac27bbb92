package dev.embeddings.gateway.clients;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.routing.EchoVectors;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs clients/node/test.mjs (the official `openai` npm package incl. AzureOpenAI, and @langchain/openai) against
 * a gateway on a free port. Installs the pinned packages with `npm ci` when clients/node/node_modules is missing.
 */
class NodeClientsTest {

    private static String run(List<String> cmd, Map<String, String> env, int timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(new File("clients/node")).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(timeoutSeconds, TimeUnit.SECONDS), cmd + " did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        System.out.println(text);
        assertEquals(0, p.exitValue(), cmd + " failed:\n" + text);
        return text;
    }

    private static void install() throws Exception {
        if (!Files.isDirectory(Path.of("clients/node/node_modules/openai"))) {
            run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 600);
        }
    }

    @Test
    void officialNodeClientsPass() throws Exception {
        install();
        try (GatewayHarness gw = GatewayHarness.start("""
                model_list:
                  - model_name: all-minilm-l6-v2
                    litellm_params:
                      model: local/all-minilm-l6-v2
                general_settings:
                  master_key: os.environ/MK
                """, Map.of("MK", "sk-node-clients"))) {
            String out = run(List.of("node", "test.mjs"), Map.of("GATEWAY_URL", gw.url(""),
                    "GATEWAY_KEY", "sk-node-clients"), 300);
            Matcher m = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$").matcher(out);
            assertTrue(m.find(), out);
            assertEquals("0", m.group(2), out);
            assertTrue(Integer.parseInt(m.group(1)) >= 10, out);
        }
    }

    /**
     * clients/node/batch.mjs: the `openai` package's files.create, batches.create, batches.retrieve until completed,
     * files.content, against a WireMock upstream whose vectors encode their inputs.
     */
    @Test
    void officialNodeSdkRunsAnEmbeddingsBatch() throws Exception {
        install();
        WireMockServer upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort()
                .extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/echo/embeddings"))
                .willReturn(aResponse().withTransformers(EchoVectors.NAME)));
        Path data = Files.createTempDirectory("node-batch");
        try (GatewayHarness gw = GatewayHarness.start("model_list:\n  - model_name: echo\n    litellm_params:\n"
                + "      model: azure/echo\n      api_base: http://127.0.0.1:" + upstream.port() + "\n"
                + "      api_key: k\n      api_version: v1\ngeneral_settings:\n  master_key: os.environ/MK\n",
                Map.of("MK", "sk-node-batch"), "--data-dir", data.toString())) {
            String out = run(List.of("node", "batch.mjs"), Map.of("GATEWAY_URL", gw.url(""),
                    "GATEWAY_KEY", "sk-node-batch", "MODEL", "echo"), 300);
            Matcher m = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$").matcher(out);
            assertTrue(m.find(), out);
            assertEquals("0", m.group(2), out);
            assertEquals(5, Integer.parseInt(m.group(1)), out);
        } finally {
            upstream.stop();
        }
    }
}
