package dev.embeddings.gateway;

import dev.embeddings.gateway.config.ConfigException;

/**
 * Entry point: {@code java -jar target/embeddings-gateway.jar [--config config/config.yaml] [--port 4000] ...}, and
 * {@code ... batch submit|status|cancel|download|list ...} for the batch client ({@link dev.embeddings.gateway.cli.BatchCli}).
 * Exits 2 on a bad command line and 1 on a config problem, each with a one-line message on stderr.
 */
public final class GatewayMain {

    private GatewayMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("batch")) {
            // bin/gateway batch ...: the Batch API's command-line client
            dev.embeddings.gateway.cli.BatchCli.main(java.util.Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        GatewayOptions options;
        try {
            options = GatewayOptions.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("embeddings-gateway: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(GatewayOptions.USAGE);
            return;
        }
        String logFormat = options.properties().get("gateway.logFormat");
        if (logFormat != null) {
            // log4j2.xml picks its layout by this property (a SystemPropertyArbiter)
            System.setProperty("gateway.logFormat", logFormat);
            ((org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false))
                    .reconfigure();
        }
        Gateway gateway;
        try {
            gateway = Gateway.create(options, System::getenv);
        } catch (ConfigException e) {
            System.err.println("embeddings-gateway: " + e.getMessage());
            System.exit(1);
            return;
        }
        try {
            gateway.run();
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && !(root instanceof ConfigException)) {
                root = root.getCause();
            }
            System.err.println("embeddings-gateway: " + (root instanceof ConfigException ? root.getMessage()
                    : "failed to start: " + root));
            System.exit(1);
        }
    }
}
