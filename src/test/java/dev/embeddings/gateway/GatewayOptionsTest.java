package dev.embeddings.gateway;

import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The LiteLLM flags --num_workers and --detailed_debug, and --log-format. */
class GatewayOptionsTest {

    @Test
    void logFormatAndNumWorkersAreParsed() {
        GatewayOptions o = GatewayOptions.parse("--log-format", "JSON", "--num_workers", "3", "--detailed_debug");
        assertEquals("json", o.properties().get("gateway.logFormat"));
        assertEquals("3", o.properties().get("gateway.eventLoopThreads"));
        assertEquals("DEBUG", o.properties().get("gateway.logLevel.dev.embeddings"));
        assertEquals("text", GatewayOptions.parse("--log-format=text").properties().get("gateway.logFormat"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> GatewayOptions.parse("--log-format", "xml"));
        assertTrue(bad.getMessage().contains("--log-format"), bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GatewayOptions.parse("--num_workers", "0"));
        assertTrue(GatewayOptions.USAGE.contains("--num_workers N") && GatewayOptions.USAGE.contains("--log-format"));
    }

    @Test
    void numWorkersSetsTheEventLoops() throws Exception {
        String config = "model_list:\n  - model_name: m\n    litellm_params:\n      model: azure/d\n"
                + "      api_base: http://127.0.0.1:9\n      api_key: k\n";
        try (GatewayHarness gw = GatewayHarness.start(config, Map.of(), "--num_workers", "3")) {
            VertxOptions options = gw.gateway.camelContext().getRegistry().lookupByNameAndType("vertxOptions",
                    VertxOptions.class);
            assertEquals(3, options.getEventLoopPoolSize());
            assertEquals(200, gw.get("/health/readiness").statusCode());
        }
    }
}
