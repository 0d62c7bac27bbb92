package dev.embeddings.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts a real gateway (the route files in {@code routes/}, Camel Main, Vert.x) on a free loopback port with a
 * config written by the test, and talks to it over real HTTP.
 */
public final class GatewayHarness implements AutoCloseable {

    public static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public final Gateway gateway;
    public final int port;
    public final Path dir;

    private GatewayHarness(Gateway gateway, int port, Path dir) {
        this.gateway = gateway;
        this.port = port;
        this.dir = dir;
    }

    /** A gateway on config text {@code configYaml}, env lookups in {@code env}, extra CLI args, reload off. */
    public static GatewayHarness start(String configYaml, Map<String, String> env, String... extraArgs)
            throws Exception {
        Path dir = Files.createTempDirectory("gw-test");
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, configYaml);
        return startWith(config, Path.of("routes"), env, false, extraArgs);
    }

    public static GatewayHarness startWith(Path config, Path routes, Map<String, String> env, boolean reload,
                                           String... extraArgs) throws Exception {
        int port = freePort();
        List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--routes", routes.toString(),
                "--host", "127.0.0.1", "--port", String.valueOf(port)));
        if (!reload) {
            args.add("--no-reload");
        }
        if (!List.of(extraArgs).contains("--data-dir")) {
            // each gateway's embedded database (virtual keys, spend) in its own temp folder, never ./data
            args.addAll(List.of("--data-dir", Files.createTempDirectory("gw-data").toString()));
        }
        args.addAll(List.of(extraArgs));
        if (!args.contains("--data-dir")) {
            // files and batches of this gateway only (not ./data of the working directory)
            args.addAll(List.of("--data-dir", Files.createTempDirectory("gw-data").toString()));
        }
        Gateway gw = Gateway.create(GatewayOptions.parse(args.toArray(String[]::new)), env::get).start();
        return new GatewayHarness(gw, port, config.getParent());
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    public HttpResponse<String> post(String path, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        boolean ct = false;
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
            ct |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (!ct) {
            b.header("Content-Type", "application/json");
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url(path))).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** data[i].embedding of a float response as float[n][d], checking that index i sits at position i. */
    public static float[][] vectors(JsonNode response) {
        JsonNode data = response.get("data");
        float[][] out = new float[data.size()][];
        for (int i = 0; i < data.size(); i++) {
            JsonNode item = data.get(i);
            if (item.get("index").asInt() != i) {
                throw new AssertionError("data[" + i + "] has index " + item.get("index"));
            }
            JsonNode e = item.get("embedding");
            out[i] = new float[e.size()];
            for (int j = 0; j < e.size(); j++) {
                out[i][j] = (float) e.get(j).asDouble();
            }
        }
        return out;
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    public static double norm(float[] a) {
        double s = 0;
        for (float x : a) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    @Override
    public void close() {
        gateway.stop();
    }
}
