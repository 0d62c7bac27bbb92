package dev.embeddings.gateway.provider;

import com.github.tomakehurst.wiremock.WireMockServer;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.Upstream;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The provider pipeline is one routeTemplate (routes/provider-pipeline.yaml) and each provider file a templatedRoute:
 * both stay editable live. Editing the template re-creates every provider route made from it; editing a provider's
 * file re-creates that one.
 */
class ProviderTemplateReloadTest {

    @Test
    void editingTheTemplateOrAProviderFileIsServedWithoutRestart() throws Exception {
        WireMockServer upstream = Upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/dep/embeddings")).willReturn(aResponse()
                .withStatus(200).withBody(Upstream.fixture("azure/embeddings-2.json"))));
        Path routes = Files.createTempDirectory("routes");
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Path config = Files.createTempFile("cfg", ".yaml");
        Files.writeString(config, """
                model_list:
                  - model_name: az
                    litellm_params: {model: azure/dep, api_base: "http://127.0.0.1:%d", api_key: k-123456}
                """.formatted(upstream.port()));
        try (GatewayHarness gw = GatewayHarness.startWith(config, routes, Map.of(), true)) {
            String req = "{\"model\":\"az\",\"input\":[\"a\",\"b\"]}";
            HttpResponse<String> before = gw.post("/v1/embeddings", req);
            assertEquals(200, before.statusCode(), before.body());
            assertTrue(before.headers().firstValue("x-pipeline").isEmpty());

            // the template: a header after the finish step, on every provider route made from it
            Path template = routes.resolve("provider-pipeline.yaml");
            String marker = "              ref: \"{{adapter}}\"\n              method: finish\n";
            String edited = Files.readString(template).replace(marker, marker
                    + "          - setHeader:\n              name: x-pipeline\n              constant: edited\n");
            assertTrue(edited.contains("x-pipeline"), "the test's edit did not apply");
            replace(template, edited);
            assertEquals("edited", waitForHeader(gw, req, "x-pipeline", "edited"));

            // a provider file: another parameter value (the adapter bean stays, the route id changes nothing else)
            Path azure = routes.resolve("provider-azure.yaml");
            replace(azure, Files.readString(azure).replace("value: azureAdapter", "value: azureAdapter\n"
                    + "      - name: call\n        value: \"${exchangeProperty.upstreamEndpoint}&x-edited=1\""));
            upstream.resetRequests();
            long deadline = System.currentTimeMillis() + 30_000;
            boolean seen = false;
            while (!seen && System.currentTimeMillis() < deadline) {
                assertEquals(200, gw.post("/v1/embeddings", req).statusCode());
                seen = upstream.getAllServeEvents().stream().anyMatch(e -> e.getRequest().getUrl()
                        .contains("x-edited=1"));
                Thread.sleep(200);
            }
            assertTrue(seen, "the edited provider file was not picked up within 30 s");
        } finally {
            upstream.stop();
        }
    }

    private static void replace(Path file, String text) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String waitForHeader(GatewayHarness gw, String req, String name, String value) throws Exception {
        String seen = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            HttpResponse<String> r = gw.post("/v1/embeddings", req);
            assertEquals(200, r.statusCode(), r.body());
            seen = r.headers().firstValue(name).orElse(null);
            if (value.equals(seen)) {
                break;
            }
            Thread.sleep(250);
        }
        return seen;
    }
}
