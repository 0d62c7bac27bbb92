import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The upstream of bench/batch.sh (no dependencies; run with `java BatchMock.java PORT DELAY_MS DIMS`): an Azure
 * OpenAI-format embeddings endpoint answering every POST after DELAY_MS with one DIMS-dimension float vector per input
 * (the same vector each time), and {@code GET /count} with "calls inputs" so far.
 */
public class BatchMock {
    static final AtomicLong CALLS = new AtomicLong();
    static final AtomicLong INPUTS = new AtomicLong();

    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[0]);
        long delayMs = Long.parseLong(a[1]);
        int dims = Integer.parseInt(a[2]);
        Random r = new Random(42);
        StringBuilder v = new StringBuilder("[");
        for (int i = 0; i < dims; i++) {
            v.append(i > 0 ? "," : "").append(String.format(Locale.ROOT, "%.6f", r.nextGaussian() / 30));
        }
        String vector = v.append(']').toString();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 512);
        server.setExecutor(Executors.newFixedThreadPool(128));
        server.createContext("/count", ex -> send(ex, CALLS.get() + " " + INPUTS.get() + "\n"));
        server.createContext("/", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            int n = countInputs(body);
            CALLS.incrementAndGet();
            INPUTS.addAndGet(n);
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            StringBuilder out = new StringBuilder(64 + n * (vector.length() + 48)).append("{\"object\":\"list\",\"data\":[");
            for (int i = 0; i < n; i++) {
                out.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                        .append(",\"embedding\":").append(vector).append('}');
            }
            out.append("],\"model\":\"bench\",\"usage\":{\"prompt_tokens\":").append(8 * n)
                    .append(",\"total_tokens\":").append(8 * n).append("}}");
            send(ex, out.toString());
        });
        server.start();
    }

    /** The number of strings in the request's top-level "input" array. */
    static int countInputs(String body) {
        int at = body.indexOf("\"input\"");
        int i = body.indexOf('[', at);
        int n = 0;
        boolean inString = false;
        for (i = i + 1; i < body.length(); i++) {
            char c = body.charAt(i);
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
                n++;
            } else if (c == ']') {
                break;
            }
        }
        return Math.max(1, n);
    }

    static void send(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }
}
