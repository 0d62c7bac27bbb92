package dev.embeddings.gateway.batch;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.db.SharedDatabase;
import dev.embeddings.gateway.normalize.ResponseNormalizer;
import dev.embeddings.gateway.openai.RequestParser;
import dev.embeddings.gateway.security.KeyAuthenticator;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Binds the beans of routes/batches.yaml ({@code batchFiles}, {@code batches}, {@code batchDispatcher},
 * {@code batchWorker}, {@code batchFinaliser}, {@code batchSupervisor}, {@code batchKafka}, {@code batchWorkerPool})
 * over the {@link JdbcBatchStore} in the gateway's database (uploads staged in {@code <gateway.dataDir>/tmp}), and
 * creates the batch topics in Kafka mode.
 */
public final class BatchSetup implements AutoCloseable {

    private final BatchSupervisor supervisor;
    private final BatchStore store;

    private BatchSetup(BatchSupervisor supervisor, BatchStore store) {
        this.supervisor = supervisor;
        this.store = store;
    }

    /**
     * Sets {@code gateway.instanceName} (default {@code <host name>-<port>}) when it is not configured, then binds
     * the beans into {@code ctx}'s registry. ConfigException when the data directory cannot be used. The database
     * is opened at once when it exists (batches to resume), else on the first call of the Files or Batch API.
     * {@code auth} gives the workers each batch owner's key as it is now.
     */
    public static BatchSetup install(CamelContext ctx, RequestParser parser, ModelRegistry models,
                                     SharedDatabase database, KeyAuthenticator auth) {
        PropertiesComponent props = ctx.getPropertiesComponent();
        ensureInstanceName(props);
        BatchSettings s = BatchSettings.from(props);
        JdbcBatchStore store;
        try {
            store = new JdbcBatchStore(database, s.dataDir().resolve("tmp"));
        } catch (IOException e) {
            throw new ConfigException("cannot use the data directory " + s.dataDir().toAbsolutePath() + ": "
                    + e.getMessage() + " (set --data-dir)");
        }
        BatchService service = new BatchService(store, s, new BatchLines(parser, models, s.maxLines(),
                s.maxLineBytes()), new BatchThrottle(models, s.interactiveShare(), s.workers(), s.maxBackoffMs()));
        BatchFinaliser finaliser = new BatchFinaliser(service);
        BatchSupervisor supervisor = new BatchSupervisor(service, finaliser);
        BatchKafka kafka = new BatchKafka(service);
        var registry = ctx.getRegistry();
        registry.bind("batchFiles", new FilesApi(service));
        registry.bind("batches", new BatchesApi(service));
        registry.bind("batchDispatcher", new BatchDispatcher(service));
        registry.bind("batchWorker", new BatchWorker(service, new ResponseNormalizer(), auth));
        registry.bind("batchFinaliser", finaliser);
        registry.bind("batchSupervisor", supervisor);
        registry.bind("batchKafka", kafka);
        registry.bind("batchWorkerPool", ctx.getExecutorServiceManager().newFixedThreadPool(supervisor,
                "batch-worker", s.workers()));
        if (s.kafka()) {
            kafka.ensureTopics(props.resolveProperty("gateway.kafka.bootstrap").orElse("localhost:9092"),
                    props.resolveProperty("gateway.batch.kafka.linesTopic").orElse("embeddings.batch.lines"),
                    props.resolveProperty("gateway.batch.kafka.resultsTopic").orElse("embeddings.batch.results"),
                    Integer.parseInt(props.resolveProperty("gateway.batch.kafka.partitions").orElse("6")));
        }
        return new BatchSetup(supervisor, store);
    }

    /**
     * {@code gateway.instanceName}: this gateway's stable name (the Kafka consumers' {@code group.instance.id},
     * the holder of batch leases). When not configured: {@code <host name>-<port>}, the same across restarts of the
     * same process on the same host; the Kafka pipeline's {@code gateway.kafka.groupInstanceId} defaults to it.
     */
    static void ensureInstanceName(PropertiesComponent props) {
        if (props.resolveProperty("gateway.instanceName").isEmpty()) {
            props.addInitialProperty("gateway.instanceName", defaultInstanceName(
                    props.resolveProperty("camel.server.port").orElse("4000")));
        }
        if (props.resolveProperty("gateway.kafka.groupInstanceId").isEmpty()) {
            props.addInitialProperty("gateway.kafka.groupInstanceId",
                    props.resolveProperty("gateway.instanceName").orElseThrow());
        }
    }

    static String defaultInstanceName(String port) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = Files.readString(Path.of("/etc/hostname")).trim();
            } catch (IOException | RuntimeException e) {
                host = null;
            }
        }
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (IOException e) {
                host = "gateway";
            }
        }
        return host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + port;
    }

    /** Stops the supervisor's finisher thread and closes the store (the gateway is stopping). */
    @Override
    public void close() {
        supervisor.close();
        store.close();
    }
}
