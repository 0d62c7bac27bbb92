package dev.embeddings.gateway.pipeline;

import org.apache.camel.ProducerTemplate;
import org.apache.camel.Route;
import org.apache.camel.component.kamelet.KameletComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static dev.embeddings.gateway.GatewayHarness.cosine;
import static dev.embeddings.gateway.GatewayHarness.norm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Kamelet in a plain Camel application (a DefaultCamelContext, no GatewayMain, no HTTP server): its
 * {@code configFile} property installs the gateway core (beans + non-HTTP routes) on the first message.
 */
class KameletInstallTest {

    @Test
    void configFileBootstrapsTheCoreInAnotherCamelContext() throws Exception {
        try (DefaultCamelContext ctx = new DefaultCamelContext()) {
            ctx.getPropertiesComponent().addInitialProperty("host.gatewayConfig",
                    Path.of("config", "config.yaml").toAbsolutePath().toString());
            ctx.getComponent("kamelet", KameletComponent.class).setLocation("file:kamelets");
            ctx.start();
            PluginHelper.getRoutesLoader(ctx).loadRoutes(
                    PluginHelper.getResourceLoader(ctx).resolveResource("classpath:pipeline/kamelet-host-app.yaml"));
            ProducerTemplate t = ctx.createProducerTemplate();

            float[] food = t.requestBody("direct:host-embed", "A man is eating food.", float[].class);
            float[] bread = t.requestBody("direct:host-embed", "A man is eating a piece of bread.", float[].class);
            float[] horse = t.requestBody("direct:host-embed", "A man is riding a horse.", float[].class);
            assertEquals(384, food.length);
            assertEquals(1.0, norm(food), 1e-3);
            assertEquals(0.755, cosine(food, bread), 0.01);
            assertTrue(cosine(food, bread) > cosine(food, horse));

            List<String> inputs = ctx.getRoutes().stream().map(Route::getEndpoint).map(e -> e.getEndpointUri()).toList();
            assertTrue(inputs.contains("direct://embed"), inputs.toString());
            assertTrue(inputs.contains("direct://provider-local"), inputs.toString());
            assertFalse(inputs.stream().anyMatch(u -> u.startsWith("platform-http")), inputs.toString());
        }
    }
}
