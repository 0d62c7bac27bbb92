package dev.embeddings.gateway;

import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Editing a route file in the routes folder changes behaviour without restart or rebuild. */
class ReloadTest {

    @Test
    void editedRouteIsServedWithoutRestart() throws Exception {
        Path routes = Files.createTempDirectory("routes");
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, routes.resolve(f.getFileName()));
            }
        }
        Path config = Files.createTempFile("cfg", ".yaml");
        Files.writeString(config, "model_list:\n  - model_name: mini\n    litellm_params:\n"
                + "      model: local/all-minilm-l6-v2\n");
        try (GatewayHarness gw = GatewayHarness.startWith(config, routes, Map.of(), true)) {
            HttpResponse<String> before = gw.get("/v1/models");
            assertEquals(200, before.statusCode());
            assertTrue(before.headers().firstValue("x-route-version").isEmpty());

            // traffic all through the reload: editing a direct: pipeline must not drop a single request
            java.util.concurrent.ConcurrentLinkedQueue<Integer> statuses = new java.util.concurrent.ConcurrentLinkedQueue<>();
            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            // several clients at once, so that requests are inside the old routes when Camel stops them
            java.util.List<Thread> traffic = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread client = new Thread(() -> {
                    while (!stop.get()) {
                        try {
                            statuses.add(gw.post("/v1/embeddings",
                                    "{\"model\":\"mini\",\"input\":\"during reload\"}").statusCode());
                        } catch (Exception e) {
                            statuses.add(-1);
                        }
                    }
                });
                client.start();
                traffic.add(client);
            }

            Path file = routes.resolve("embeddings-api.yaml");
            String marker = "            name: Content-Type\n            constant: application/json\n";
            String edited = Files.readString(file).replace(marker, marker
                    + "        - setHeader:\n            name: x-route-version\n            constant: edited\n");
            assertTrue(edited.contains("x-route-version"), "the test's edit did not apply");
            Path tmp = routes.resolve("embeddings-api.yaml.tmp");
            Files.writeString(tmp, edited);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);

            String seen = null;
            // under constant traffic the old routes never drain: Camel waits its shutdownTimeout (10 s), then stops them
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline) {
                HttpResponse<String> r = gw.get("/v1/models");
                seen = r.headers().firstValue("x-route-version").orElse(null);
                if ("edited".equals(seen)) {
                    assertEquals(200, r.statusCode());
                    break;
                }
                Thread.sleep(250);
            }
            assertEquals("edited", seen, "the edited route was not picked up within 30 s");
            Thread.sleep(300);
            stop.set(true);
            for (Thread client : traffic) {
                client.join(10_000);
            }
            assertTrue(statuses.size() > 5, "traffic ran through the reload: " + statuses.size());
            Map<Integer, Long> byStatus = statuses.stream().collect(java.util.stream.Collectors.groupingBy(
                    st -> st, java.util.TreeMap::new, java.util.stream.Collectors.counting()));
            assertEquals(Map.of(200, (long) statuses.size()), byStatus, "requests failed during the reload");
            System.out.printf("reload: %d requests during the reload, all 200%n", statuses.size());
        }
    }
}
