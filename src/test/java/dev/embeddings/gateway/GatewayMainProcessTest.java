package dev.embeddings.gateway;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real entry point in a child JVM: bad command lines and bad configs exit non-zero with one line. */
class GatewayMainProcessTest {

    record Result(int exit, String stderr) {
    }

    private static Result run(Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), GatewayMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gateway did not exit");
        return new Result(p.exitValue(), new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    @Test
    void unknownFlagExitsNonZeroWithOneLine() throws Exception {
        Result r = run(Map.of(), "--frobnicate");
        assertEquals(2, r.exit());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("--frobnicate"));
    }

    @Test
    void missingConfigFileExitsNonZeroWithOneLine() throws Exception {
        Result r = run(Map.of(), "--config", "/nonexistent/config.yaml");
        assertEquals(1, r.exit());
        assertEquals(1, r.stderr().strip().lines().count(), r.stderr());
        assertTrue(r.stderr().contains("config file not found"), r.stderr());
    }

    @Test
    void missingEnvironmentVariableStopsStartUp() throws Exception {
        Path cfg = Files.createTempFile("cfg", ".yaml");
        Files.writeString(cfg, """
                model_list:
                  - model_name: az
                    litellm_params:
                      model: azure/ada
                      api_base: http://127.0.0.1:9
                      api_key: os.environ/GW_SURELY_UNSET_KEY_VAR
                """);
        Result r = run(Map.of(), "--config", cfg.toString(), "--port", "0");
        assertEquals(1, r.exit());
        assertTrue(r.stderr().contains("GW_SURELY_UNSET_KEY_VAR") && r.stderr().contains("'az'"), r.stderr());
        assertFalse(r.stderr().contains("Exception"), r.stderr());
    }

    @Test
    void portInUseExitsNonZeroWithOneLine() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            Result r = run(Map.of(), "--port", String.valueOf(taken.getLocalPort()), "--host", "127.0.0.1");
            assertEquals(1, r.exit(), r.stderr());
            assertTrue(r.stderr().contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()), r.stderr());
            assertFalse(r.stderr().contains("\tat "), r.stderr());
        }
    }
}
