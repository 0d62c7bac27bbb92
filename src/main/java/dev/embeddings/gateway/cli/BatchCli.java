package dev.embeddings.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * {@code bin/gateway batch ...}: a command-line client of the gateway's Batch API.
 * <pre>
 * batch submit FILE [--model MODEL] [--wait] [--output FILE] [--format jsonl|text|csv] [--column N|NAME]
 *                   [--id-column N|NAME] [--header] [--dimensions N] [--encoding-format float|base64]
 *                   [--metadata KEY=VALUE]...
 * batch status ID [--json]
 * batch cancel ID
 * batch download ID [--output FILE] [--errors FILE]
 * batch list [--limit N]
 * common: --url URL (else $GATEWAY_URL, else http://localhost:4000), --api-key KEY (else $GATEWAY_API_KEY,
 *         $LITELLM_MASTER_KEY or $OPENAI_API_KEY)
 * </pre>
 * {@code submit} takes JSONL in OpenAI's batch format as it is (with {@code --model}, lines whose body has no model get
 * it), or plain text / CSV with one input per line / row, which it turns into that JSONL (custom_id
 * {@code line-<n>} / {@code row-<n>}, the line or row number in FILE, or the {@code --id-column}); it uploads the file,
 * creates the batch and prints its id. With {@code --wait} it shows a progress bar (done/total, rate, ETA) on stderr
 * and downloads the output to {@code FILE.output.jsonl} (errors, if any, to {@code FILE.errors.jsonl}).
 * Exit status: 0 done (completed, every line succeeded), 1 the batch failed, expired or was cancelled, or some lines
 * failed; 2 a usage error; 3 the gateway could not be reached or refused a request.
 */
public final class BatchCli {

    static final String USAGE = """
            usage: bin/gateway batch submit FILE [--model MODEL] [--wait] [--output FILE] [--format jsonl|text|csv]
                                     [--column N|NAME] [--id-column N|NAME] [--header] [--dimensions N]
                                     [--encoding-format float|base64] [--metadata KEY=VALUE]...
                   bin/gateway batch status ID [--json]
                   bin/gateway batch cancel ID
                   bin/gateway batch download ID [--output FILE] [--errors FILE]
                   bin/gateway batch list [--limit N]
            options for all: --url URL (default $GATEWAY_URL, else http://localhost:4000)
                             --api-key KEY (default $GATEWAY_API_KEY, $LITELLM_MASTER_KEY or $OPENAI_API_KEY)""";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> FINAL = Set.of("completed", "failed", "expired", "cancelled");

    /** A problem to report in one line, with the exit status. */
    static final class CliException extends RuntimeException {
        final int status;

        CliException(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private final PrintStream out;
    private final PrintStream err;
    private final Function<String, String> env;
    private final boolean tty;
    private final long pollMs;
    private HttpClient http;
    private String base;
    private String key;

    BatchCli(PrintStream out, PrintStream err, Function<String, String> env, boolean tty, long pollMs) {
        this.out = out;
        this.err = err;
        this.env = env;
        this.tty = tty;
        this.pollMs = pollMs;
    }

    /** Entry from GatewayMain: {@code args} after "batch". Exits with the status. */
    public static void main(String[] args) {
        System.exit(new BatchCli(System.out, System.err, System::getenv, System.console() != null, 1000).run(args));
    }

    /** Runs one command; returns the exit status. */
    int run(String... args) {
        try {
            Args a = Args.parse(args);
            base = trimSlash(a.option("url", firstNonBlank(env.apply("GATEWAY_URL"), "http://localhost:4000")));
            key = a.option("api-key", firstNonBlank(env.apply("GATEWAY_API_KEY"), env.apply("LITELLM_MASTER_KEY"),
                    env.apply("OPENAI_API_KEY")));
            http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            return switch (a.command()) {
                case "submit" -> submit(a);
                case "status" -> status(a);
                case "cancel" -> cancel(a);
                case "download" -> download(a);
                case "list" -> list(a);
                default -> throw new CliException(2, "unknown command '" + a.command() + "'");
            };
        } catch (CliException e) {
            err.println("gateway batch: " + e.getMessage());
            if (e.status == 2) {
                err.println(USAGE);
            }
            return e.status;
        } catch (IOException e) {
            err.println("gateway batch: " + e.getMessage());
            return 3;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }

    // ------------------------------------------------------------------ commands

    private int submit(Args a) throws IOException, InterruptedException {
        Path file = Path.of(a.positional(0, "FILE"));
        if (!Files.isRegularFile(file)) {
            throw new CliException(2, "no such file: " + file);
        }
        String format = a.option("format", guessFormat(file));
        String model = a.option("model", null);
        Path jsonl = Files.createTempFile("batch-", ".jsonl");
        try {
            int lines = switch (format) {
                case "jsonl" -> fromJsonl(file, jsonl, model);
                case "text" -> fromText(file, jsonl, requireModel(model), a);
                case "csv" -> fromCsv(file, jsonl, requireModel(model), a);
                default -> throw new CliException(2, "--format must be jsonl, text or csv");
            };
            if (lines == 0) {
                throw new CliException(2, file + " has no input");
            }
            JsonNode uploaded = upload(jsonl, file.getFileName().toString().replaceAll("\\.[^.]*$", "") + ".jsonl");
            ObjectNode create = JSON.createObjectNode();
            create.put("input_file_id", uploaded.get("id").asText());
            create.put("endpoint", "/v1/embeddings");
            create.put("completion_window", "24h");
            if (!a.all("metadata").isEmpty()) {
                ObjectNode md = create.putObject("metadata");
                for (String kv : a.all("metadata")) {
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new CliException(2, "--metadata takes KEY=VALUE");
                    }
                    md.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            JsonNode batch = send("POST", "/v1/batches", JSON.writeValueAsString(create));
            String id = batch.get("id").asText();
            out.println(id);
            err.printf("submitted %s: %,d requests from %s (file %s)%n", id, lines, file, uploaded.get("id").asText());
            if (!a.flag("wait")) {
                err.printf("follow it with: bin/gateway batch status %s%n", id);
                return 0;
            }
            JsonNode done = waitFor(id);
            String stem = file.toString();
            Path output = Path.of(a.option("output", stem + ".output.jsonl"));
            return finish(done, output, Path.of(stem + ".errors.jsonl"));
        } finally {
            Files.deleteIfExists(jsonl);
        }
    }

    private int status(Args a) throws IOException, InterruptedException {
        JsonNode b = send("GET", "/v1/batches/" + enc(a.positional(0, "ID")), null);
        if (a.flag("json")) {
            out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(b));
        } else {
            out.println(summary(b));
            printErrors(b);
        }
        return FINAL.contains(b.get("status").asText()) ? succeeded(b) : 0;
    }

    /** 0 for a batch completed with every line, else 1. */
    private static int succeeded(JsonNode b) {
        return "completed".equals(b.get("status").asText())
                && b.get("request_counts").get("failed").asInt() == 0 ? 0 : 1;
    }

    private int cancel(Args a) throws IOException, InterruptedException {
        JsonNode b = send("POST", "/v1/batches/" + enc(a.positional(0, "ID")) + "/cancel", "");
        out.println(summary(b));
        return 0;
    }

    private int download(Args a) throws IOException, InterruptedException {
        String id = a.positional(0, "ID");
        JsonNode b = send("GET", "/v1/batches/" + enc(id), null);
        if (!FINAL.contains(b.get("status").asText())) {
            throw new CliException(1, id + " is " + b.get("status").asText() + "; nothing to download yet");
        }
        return finish(b, Path.of(a.option("output", id + "_output.jsonl")),
                Path.of(a.option("errors", id + "_errors.jsonl")));
    }

    private int list(Args a) throws IOException, InterruptedException {
        JsonNode page = send("GET", "/v1/batches?limit=" + enc(a.option("limit", "20")), null);
        for (JsonNode b : page.get("data")) {
            out.println(summary(b));
        }
        return 0;
    }

    // ------------------------------------------------------------------ waiting and results

    /** Polls until the batch is final, drawing the progress bar on stderr. */
    JsonNode waitFor(String id) throws IOException, InterruptedException {
        Progress progress = new Progress(err, tty);
        JsonNode b = send("GET", "/v1/batches/" + enc(id), null);
        while (!FINAL.contains(b.get("status").asText())) {
            progress.show(b);
            Thread.sleep(pollMs);
            b = send("GET", "/v1/batches/" + enc(id), null);
        }
        progress.show(b);
        progress.end();
        return b;
    }

    private int finish(JsonNode b, Path output, Path errors) throws IOException, InterruptedException {
        JsonNode counts = b.get("request_counts");
        err.println(summary(b));
        printErrors(b);
        if (!b.get("output_file_id").isNull()) {
            fetch(b.get("output_file_id").asText(), output);
            err.printf("output: %s (%,d lines)%n", output, counts.get("completed").asInt());
        }
        if (!b.get("error_file_id").isNull()) {
            fetch(b.get("error_file_id").asText(), errors);
            err.printf("errors: %s%n", errors);
        }
        return succeeded(b);
    }

    private void printErrors(JsonNode b) {
        JsonNode errors = b.get("errors");
        if (errors != null && !errors.isNull()) {
            for (JsonNode e : errors.get("data")) {
                err.printf("  %s%s: %s%n", e.get("line").isNull() ? "" : "line " + e.get("line").asInt() + ": ",
                        e.get("code").asText(), e.get("message").asText());
            }
        }
    }

    static String summary(JsonNode b) {
        JsonNode c = b.get("request_counts");
        int total = c.get("total").asInt();
        int done = c.get("completed").asInt() + c.get("failed").asInt();
        return String.format(Locale.ROOT, "%s  %-11s %,d/%,d done%s", b.get("id").asText(), b.get("status").asText(),
                done, total, c.get("failed").asInt() > 0 ? String.format(Locale.ROOT, " (%,d failed)",
                        c.get("failed").asInt()) : "");
    }

    /** The progress bar: {@code [#####.....] 2,400/5,000  48%  310 lines/s  ETA 0:08  in_progress}. */
    static final class Progress {
        private final PrintStream err;
        private final boolean tty;
        private final long started = System.nanoTime();
        private long lastLine;
        private int firstDone = -1;
        private long firstAt;
        private int width;

        Progress(PrintStream err, boolean tty) {
            this.err = err;
            this.tty = tty;
        }

        void show(JsonNode b) {
            JsonNode c = b.get("request_counts");
            int total = c.get("total").asInt();
            int done = c.get("completed").asInt() + c.get("failed").asInt();
            long now = System.nanoTime();
            if (firstDone < 0 && !"validating".equals(b.get("status").asText())) {
                firstDone = done;
                firstAt = now;
            }
            double seconds = (now - firstAt) / 1e9;
            double rate = firstDone >= 0 && seconds > 0.5 ? (done - firstDone) / seconds : 0;
            String line = render(done, total, rate, b.get("status").asText());
            if (tty) {
                err.print("\r" + line + " ".repeat(Math.max(0, width - line.length())));
                width = line.length();
                err.flush();
            } else if (now - lastLine > 5_000_000_000L || FINAL.contains(b.get("status").asText())) {
                err.println(line);
                lastLine = now;
            }
        }

        void end() {
            if (tty) {
                err.println();
            }
        }

        static String render(int done, int total, double rate, String status) {
            int bar = 30;
            int filled = total <= 0 ? 0 : (int) ((long) bar * done / total);
            String eta = rate > 0 && total > done ? clock((long) ((total - done) / rate)) : "-";
            return String.format(Locale.ROOT, "[%s%s] %,d/%,d %3d%%  %,.0f lines/s  ETA %s  %s", "#".repeat(filled),
                    ".".repeat(bar - filled), done, total, total <= 0 ? 0 : (int) (100L * done / total), rate, eta,
                    status);
        }

        static String clock(long seconds) {
            return seconds >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", seconds / 3600, seconds / 60 % 60,
                    seconds % 60) : String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
        }
    }

    // ------------------------------------------------------------------ input conversion

    static String guessFormat(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return "jsonl";
        }
        if (name.endsWith(".csv")) {
            return "csv";
        }
        return "text";
    }

    private static String requireModel(String model) {
        if (model == null || model.isBlank()) {
            throw new CliException(2, "--model is needed for text and CSV input");
        }
        return model;
    }

    /** JSONL as it is, except that with {@code model} a line whose body has no model gets it. */
    static int fromJsonl(Path in, Path out, String model) throws IOException {
        if (model == null) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            int n = 0;
            try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8)) {
                String l;
                while ((l = r.readLine()) != null) {
                    n += l.isBlank() ? 0 : 1;
                }
            }
            return n;
        }
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8);
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            String l;
            while ((l = r.readLine()) != null) {
                if (l.isBlank()) {
                    continue;
                }
                n++;
                JsonNode line;
                try {
                    line = JSON.readTree(l);
                } catch (IOException e) {
                    w.write(l);
                    w.write('\n');
                    continue;
                }
                if (line.isObject() && line.get("body") instanceof ObjectNode body && !body.hasNonNull("model")) {
                    body.put("model", model);
                }
                w.write(JSON.writeValueAsString(line));
                w.write('\n');
            }
        }
        return n;
    }

    /** One input per non-blank line; custom_id {@code line-<n>} (n: the line in the file). */
    static int fromText(Path in, Path out, String model, Args a) throws IOException {
        int n = 0;
        int lineNo = 0;
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8);
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            String l;
            while ((l = r.readLine()) != null) {
                lineNo++;
                if (l.isBlank()) {
                    continue;
                }
                writeLine(w, "line-" + lineNo, model, l, a);
                n++;
            }
        }
        return n;
    }

    /**
     * One input per CSV row: the first column, or {@code --column} (1-based number, or a name from the header row);
     * custom_id {@code row-<n>} or the {@code --id-column}. The first row is a header when a column is named or with
     * {@code --header}.
     */
    static int fromCsv(Path in, Path out, String model, Args a) throws IOException {
        String column = a.option("column", "1");
        String idColumn = a.option("id-column", null);
        boolean header = a.flag("header") || !isNumber(column) || (idColumn != null && !isNumber(idColumn));
        CSVFormat format = CSVFormat.DEFAULT.builder().setSkipHeaderRecord(header).setHeader(header ? new String[0]
                : null).setIgnoreEmptyLines(true).setTrim(false).get();
        int n = 0;
        try (Reader r = Files.newBufferedReader(in, StandardCharsets.UTF_8);
             CSVParser p = CSVParser.builder().setReader(r).setFormat(format).get();
             BufferedWriter w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
            if (header) {
                for (String c : List.of(column).stream().filter(c -> !isNumber(c)).toList()) {
                    if (!p.getHeaderMap().containsKey(c)) {
                        throw new CliException(2, "no column '" + c + "' in the header " + p.getHeaderNames());
                    }
                }
                if (idColumn != null && !isNumber(idColumn) && !p.getHeaderMap().containsKey(idColumn)) {
                    throw new CliException(2, "no column '" + idColumn + "' in the header " + p.getHeaderNames());
                }
            }
            for (CSVRecord rec : p) {
                String text = cell(rec, column);
                if (text == null || text.isBlank()) {
                    continue;
                }
                String id = idColumn != null ? cell(rec, idColumn) : null;
                writeLine(w, id != null && !id.isBlank() ? id : "row-" + rec.getRecordNumber(), model, text, a);
                n++;
            }
        }
        return n;
    }

    private static String cell(CSVRecord rec, String column) {
        if (isNumber(column)) {
            int i = Integer.parseInt(column) - 1;
            return i >= 0 && i < rec.size() ? rec.get(i) : null;
        }
        return rec.isMapped(column) && rec.isSet(column) ? rec.get(column) : null;
    }

    private static boolean isNumber(String s) {
        return s.matches("\\d+");
    }

    private static void writeLine(BufferedWriter w, String customId, String model, String input, Args a)
            throws IOException {
        ObjectNode line = JSON.createObjectNode();
        line.put("custom_id", customId);
        line.put("method", "POST");
        line.put("url", "/v1/embeddings");
        ObjectNode body = line.putObject("body");
        body.put("model", model);
        body.put("input", input);
        String dims = a.option("dimensions", null);
        if (dims != null) {
            try {
                body.put("dimensions", Integer.parseInt(dims));
            } catch (NumberFormatException e) {
                throw new CliException(2, "--dimensions needs a number");
            }
        }
        String enc = a.option("encoding-format", null);
        if (enc != null) {
            body.put("encoding_format", enc);
        }
        w.write(JSON.writeValueAsString(line));
        w.write('\n');
    }

    // ------------------------------------------------------------------ HTTP

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(10));
        if (key != null && !key.isBlank()) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    private JsonNode send(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder b = request(path);
        if (json == null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        return check(call(b.build(), HttpResponse.BodyHandlers.ofString()));
    }

    private JsonNode upload(Path jsonl, String filename) throws IOException, InterruptedException {
        String boundary = "----gateway-batch-" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--"
                + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + filename.replace("\"", "_") + "\"\r\nContent-Type: application/jsonl\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpRequest r = request("/v1/files").header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.concat(HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jsonl), HttpRequest.BodyPublishers.ofByteArray(tail)))
                .build();
        return check(call(r, HttpResponse.BodyHandlers.ofString()));
    }

    private void fetch(String fileId, Path to) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = call(request("/v1/files/" + enc(fileId) + "/content").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (r.statusCode() != 200) {
            check(new StringResponse(r.statusCode(), new String(r.body().readAllBytes(), StandardCharsets.UTF_8)));
        }
        Path temp = to.resolveSibling(to.getFileName() + ".part");
        try (InputStream in = r.body()) {
            Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(temp, to, StandardCopyOption.REPLACE_EXISTING);
    }

    private record StringResponse(int statusCode, String body) {
    }

    private <T> HttpResponse<T> call(HttpRequest r, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        try {
            return http.send(r, handler);
        } catch (java.net.ConnectException e) {
            throw new CliException(3, "cannot reach the gateway at " + base + " (set --url or GATEWAY_URL)");
        }
    }

    private static JsonNode check(HttpResponse<String> r) throws IOException {
        return check(new StringResponse(r.statusCode(), r.body()));
    }

    private static JsonNode check(StringResponse r) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (IOException e) {
            body = null;
        }
        if (r.statusCode() / 100 != 2) {
            String message = body != null && body.has("error") ? body.get("error").path("message").asText()
                    : "HTTP " + r.statusCode();
            // a refusal or a failure is 1; 3 only when the gateway is not there to answer (a proxy's 502-504)
            int code = r.statusCode();
            throw new CliException(code == 502 || code == 503 || code == 504 ? 3 : 1, message + " (HTTP " + code + ")");
        }
        if (body == null) {
            throw new IOException("the gateway answered with something other than JSON");
        }
        return body;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String trimSlash(String s) {
        return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
    }

    private static String firstNonBlank(String... values) {
        for (String v : values) {
            if (v != null && !v.isBlank()) {
                return v;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ arguments

    /** The command, its positional arguments, {@code --name value} options (repeatable) and flags. */
    record Args(String command, List<String> positionals, Map<String, List<String>> options, Set<String> flags) {

        private static final Set<String> FLAGS = Set.of("wait", "json", "header");
        private static final Set<String> OPTIONS = Set.of("model", "output", "errors", "format", "column",
                "id-column", "dimensions", "encoding-format", "metadata", "url", "api-key", "limit");

        static Args parse(String... args) {
            if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
                throw new CliException(2, "a command is needed");
            }
            List<String> pos = new ArrayList<>();
            Map<String, List<String>> opts = new LinkedHashMap<>();
            Set<String> flags = new java.util.HashSet<>();
            for (int i = 1; i < args.length; i++) {
                String s = args[i];
                if (!s.startsWith("--")) {
                    pos.add(s);
                    continue;
                }
                String name = s.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq > 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (FLAGS.contains(name) && value == null) {
                    flags.add(name);
                } else if (OPTIONS.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new CliException(2, "--" + name + " needs a value");
                        }
                        value = args[++i];
                    }
                    opts.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                } else {
                    throw new CliException(2, "unknown option --" + name);
                }
            }
            return new Args(args[0], pos, opts, flags);
        }

        String positional(int i, String name) {
            if (positionals.size() <= i) {
                throw new CliException(2, command + " needs " + name);
            }
            return positionals.get(i);
        }

        String option(String name, String dflt) {
            List<String> v = options.get(name);
            return v == null ? dflt : v.get(v.size() - 1);
        }

        List<String> all(String name) {
            return options.getOrDefault(name, List.of());
        }

        boolean flag(String name) {
            return flags.contains(name);
        }
    }
}
