package dev.embeddings.gateway;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Command-line options, named like the LiteLLM proxy's:
 * {@code --config FILE} (default config/config.yaml), {@code --port N} (4000), {@code --host H} (0.0.0.0),
 * {@code --routes DIR} (routes), {@code --no-reload}, {@code --max-body-size BYTES},
 * {@code --kafka-bootstrap HOST:PORT} (turns the Kafka pipeline on against that broker), {@code --log-level LEVEL}
 * (every logger, Camel's, Vert.x's and the HTTP clients' included, at LEVEL; secrets stay redacted),
 * {@code --detailed_debug} (LiteLLM's flag: the gateway's own loggers at DEBUG), {@code --max-input-chars N} and
 * {@code --max-request-chars N} (input limits), {@code --data-dir DIR} (files, batches and other state; default
 * {@code ./data}), {@code --help}.
 * Any other {@code --name=value} pair whose name contains a dot is passed to Camel Main as a property override.
 *
 * @param config     the LiteLLM-style config.yaml
 * @param routes     the folder of YAML DSL routes
 * @param host       listen address
 * @param port       listen port
 * @param reload     whether edited route files are reloaded live (null = leave to properties, default on)
 * @param properties extra Camel/gateway property overrides
 * @param help       print usage and exit
 */
public record GatewayOptions(Path config, Path routes, String host, Integer port, Boolean reload,
                             Map<String, String> properties, boolean help) {

    public static final String USAGE = "usage: java -jar embeddings-gateway.jar [--config FILE] [--port N] "
            + "[--host ADDR] [--routes DIR] [--no-reload] [--max-body-size BYTES] [--kafka-bootstrap HOST:PORT] "
            + "[--log-level TRACE|DEBUG|INFO|WARN|ERROR] [--detailed_debug] [--max-input-chars N] "
            + "[--max-request-chars N] [--data-dir DIR] "
            + "[--name.of.property=value]";

    /** Parses args; throws IllegalArgumentException with a one-line message for an unknown or incomplete flag. */
    public static GatewayOptions parse(String... args) {
        Path config = Path.of("config", "config.yaml");
        Path routes = Path.of("routes");
        String host = null;
        Integer port = null;
        Boolean reload = null;
        boolean help = false;
        Map<String, String> props = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--help", "-h" -> help = true;
                case "--no-reload" -> reload = false;
                // LiteLLM's flag: DEBUG for the gateway's own loggers (secrets stay redacted)
                case "--detailed_debug" -> props.put("gateway.logLevel.dev.embeddings", "DEBUG");
                case "--reload" -> reload = true;
                case "--config", "--port", "--host", "--routes", "--max-body-size", "--kafka-bootstrap",
                     "--log-level", "--max-input-chars", "--max-request-chars", "--data-dir" -> {
                    if (value == null) {
                        if (i + 1 >= args.length) {
                            throw new IllegalArgumentException("option " + a + " needs a value");
                        }
                        value = args[++i];
                    }
                    switch (a) {
                        case "--config" -> config = Path.of(value);
                        case "--routes" -> routes = Path.of(value);
                        case "--host" -> host = value;
                        case "--port" -> port = number(a, value, 0, 65535);
                        case "--log-level" -> props.put("gateway.logLevel", level(value));
                        case "--data-dir" -> props.put("gateway.dataDir", value);
                        case "--max-input-chars" -> props.put("gateway.maxInputChars",
                                String.valueOf(number(a, value, 1, Integer.MAX_VALUE)));
                        case "--max-request-chars" -> props.put("gateway.maxRequestChars",
                                String.valueOf(number(a, value, 1, Integer.MAX_VALUE)));
                        case "--kafka-bootstrap" -> {
                            props.put("gateway.kafka.enabled", "true");
                            props.put("gateway.kafka.bootstrap", value);
                        }
                        default -> props.put("camel.server.maxBodySize", String.valueOf(number(a, value, 1,
                                Integer.MAX_VALUE)));
                    }
                }
                default -> {
                    if (a.startsWith("--") && a.contains(".") && value != null) {
                        props.put(a.substring(2), value);
                    } else {
                        throw new IllegalArgumentException("unknown option '" + a + "' (try --help)");
                    }
                }
            }
        }
        return new GatewayOptions(config, routes, host, port, reload, props, help);
    }

    private static String level(String v) {
        String l = v.trim().toUpperCase(java.util.Locale.ROOT);
        if (!java.util.Set.of("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL").contains(l)) {
            throw new IllegalArgumentException("option --log-level must be one of ERROR, WARN, INFO, DEBUG, TRACE");
        }
        return l;
    }

    private static int number(String flag, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new IllegalArgumentException("option " + flag + " must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + flag + " needs a number, got '" + v + "'");
        }
    }
}
