package dev.embeddings.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.routing.EchoVectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code bin/gateway batch}: plain text and CSV turned into JSONL, submitted, waited for with a progress bar, the
 * output downloaded; status, cancel and download; and the script itself.
 */
class BatchCliTest {

    static WireMockServer upstream;
    static GatewayHarness gw;
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/echo/embeddings"))
                .willReturn(aResponse().withTransformers(EchoVectors.NAME).withTransformerParameter("delayMs", 20)));
        dir = Files.createTempDirectory("cli");
        gw = GatewayHarness.start("model_list:\n  - model_name: echo\n    litellm_params:\n      model: azure/echo\n"
                        + "      api_base: http://127.0.0.1:" + upstream.port() + "\n      api_key: k\n"
                        + "      api_version: v1\ngeneral_settings:\n  master_key: os.environ/MK\n",
                Map.of("MK", "sk-cli"), "--data-dir", dir.resolve("data").toString(),
                "--gateway.batch.linesPerCall=4", "--gateway.batch.workers=2");
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
    }

    record Run(int status, String out, String err) {
    }

    /** {@code bin/gateway batch ...} in this JVM: {@code args} start with "batch". */
    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Map<String, String> env = Map.of("GATEWAY_URL", gw.url(""), "GATEWAY_API_KEY", "sk-cli");
        int status = new BatchCli(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), env::get, false, 100)
                .run(java.util.Arrays.copyOfRange(args, 1, args.length));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, JsonNode> byCustomId(Path file) throws Exception {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        for (String l : Files.readAllLines(file)) {
            JsonNode n = GatewayHarness.JSON.readTree(l);
            out.put(n.get("custom_id").asText(), n);
        }
        return out;
    }

    static double firstValue(JsonNode line) {
        return line.get("response").get("body").get("data").get(0).get("embedding").get(0).asDouble();
    }

    @Test
    void submitPlainTextWaitsWithAProgressBarAndDownloadsTheOutput() throws Exception {
        Path text = dir.resolve("inputs.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(i == 7 ? "" : String.valueOf(i));
        }
        Files.write(text, lines);
        Run r = cli("batch", "submit", text.toString(), "--model", "echo", "--wait");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().trim().startsWith("batch_"), r.out());
        assertTrue(r.err().contains("199 requests"), r.err());
        assertTrue(r.err().matches("(?s).*\\[#+\\.*\\] [\\d,]+/199 +\\d+%  [\\d,]+ lines/s  ETA [-\\d:]+  .*"), r.err());
        assertTrue(r.err().contains("completed   199/199 done"), r.err());
        Map<String, JsonNode> out = byCustomId(Path.of(text + ".output.jsonl"));
        assertEquals(199, out.size());
        // custom_id = line-<line number in the file>; line 8 was blank
        assertEquals(0.0, firstValue(out.get("line-1")), 0.0);
        assertEquals(8.0, firstValue(out.get("line-9")), 0.0);
        assertTrue(!out.containsKey("line-8"));

        String id = r.out().trim();
        Run status = cli("batch", "status", id);
        assertEquals(0, status.status());
        assertEquals(id + "  completed   199/199 done", status.out().trim());
        Path again = dir.resolve("again.jsonl");
        Run dl = cli("batch", "download", id, "--output", again.toString());
        assertEquals(0, dl.status(), dl.err());
        assertEquals(Files.readString(Path.of(text + ".output.jsonl")), Files.readString(again));
    }

    @Test
    void submitCsvTakesTheNamedColumnAndKeepsTheClientsIds() throws Exception {
        Path csv = dir.resolve("docs.csv");
        Files.writeString(csv, "id,text,lang\ndoc-a,11,en\ndoc-b,\"12\",fr\n\"doc,c\",13,en\n");
        Run r = cli("batch", "submit", csv.toString(), "--model", "echo", "--column", "text", "--id-column", "id",
                "--wait", "--metadata", "source=cli");
        assertEquals(0, r.status(), r.err());
        Map<String, JsonNode> out = byCustomId(Path.of(csv + ".output.jsonl"));
        assertEquals(List.of("doc-a", "doc-b", "doc,c"), new ArrayList<>(out.keySet()));
        assertEquals(12.0, firstValue(out.get("doc-b")), 0.0);
        // a JSONL file goes as it is
        Path jsonl = dir.resolve("ready.jsonl");
        Files.writeString(jsonl, "{\"custom_id\":\"x\",\"method\":\"POST\",\"url\":\"/v1/embeddings\","
                + "\"body\":{\"input\":\"5\"}}\n");
        Run j = cli("batch", "submit", jsonl.toString(), "--model", "echo", "--wait");
        assertEquals(0, j.status(), j.err());
        assertEquals(5.0, firstValue(byCustomId(Path.of(jsonl + ".output.jsonl")).get("x")), 0.0);
    }

    @Test
    void cancelAndUsageErrors() throws Exception {
        Path text = dir.resolve("many.txt");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            b.append(i).append('\n');
        }
        Files.writeString(text, b);
        Run submitted = cli("batch", "submit", text.toString(), "--model", "echo");
        assertEquals(0, submitted.status(), submitted.err());
        String id = submitted.out().trim();
        Run c = cli("batch", "cancel", id);
        assertEquals(0, c.status(), c.err());
        assertTrue(c.out().contains(id + "  cancel"), c.out());
        assertEquals(2, cli("batch", "submit", text.toString()).status(), "text needs --model");
        assertEquals(2, cli("batch", "frobnicate").status());
        Run missing = cli("batch", "status", "batch_nope");
        assertEquals(1, missing.status());
        assertTrue(missing.err().contains("No such Batch"), missing.err());
        // a refusal is a failure (1), not "cannot reach the gateway" (3)
        Run refused = cli("batch", "list", "--api-key", "sk-wrong");
        assertEquals(1, refused.status(), refused.err());
        assertTrue(refused.err().contains("Incorrect API key provided. (HTTP 401)"), refused.err());
        Run unreachable = cli("batch", "list", "--url", "http://127.0.0.1:9");
        assertEquals(3, unreachable.status(), unreachable.err());
        // status exits as the batch ended: a cancelled batch is not a success
        long deadline = System.nanoTime() + 30_000_000_000L;
        Run st = cli("batch", "status", id);
        while (!st.out().contains("cancelled") && System.nanoTime() < deadline) {
            assertEquals(0, st.status(), "still cancelling: " + st.out());
            Thread.sleep(100);
            st = cli("batch", "status", id);
        }
        assertTrue(st.out().contains(id + "  cancelled"), st.out());
        assertEquals(1, st.status(), st.out());
        assertEquals("[##############................] 2,400/5,000  48%  310 lines/s  ETA 0:08  in_progress",
                BatchCli.Progress.render(2400, 5000, 310, "in_progress"));
    }

    @Test
    void theScriptRunsTheClient() throws Exception {
        String classpath = System.getProperty("java.class.path");
        ProcessBuilder pb = new ProcessBuilder("bin/gateway", "batch", "list").redirectErrorStream(true);
        pb.environment().put("GATEWAY_CLASSPATH", classpath.replace(File.pathSeparator + "target/test-classes", ""));
        pb.environment().put("GATEWAY_URL", gw.url(""));
        pb.environment().put("GATEWAY_API_KEY", "sk-cli");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.isEmpty() || out.contains("batch_"), out);
    }
}
