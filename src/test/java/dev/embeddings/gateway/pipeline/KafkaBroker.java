package dev.embeddings.gateway.pipeline;

import dev.embeddings.gateway.GatewayHarness;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node Apache Kafka broker (KRaft, broker + controller in one process) for tests, started from the
 * {@code kafka_2.13} jars on the test classpath as a child JVM: {@code kafka.tools.StorageTool format}, then
 * {@code kafka.Kafka server.properties}. It listens on 127.0.0.1 on free ports, keeps its data in a temp folder, and
 * is started once per test JVM ({@link #shared()}) and stopped (process killed, folder deleted) when the JVM exits.
 * A child JVM keeps the broker's Scala/Jackson stack and threads apart from the gateway under test.
 */
public final class KafkaBroker {

    private static KafkaBroker shared;

    private final Process process;
    private final Path dir;
    private final String bootstrap;

    private KafkaBroker(Process process, Path dir, String bootstrap) {
        this.process = process;
        this.dir = dir;
        this.bootstrap = bootstrap;
    }

    /** The broker shared by every test class of this JVM, started on first use (about 10 s). */
    public static synchronized KafkaBroker shared() throws Exception {
        if (shared == null || !shared.process.isAlive()) {
            shared = start();
            KafkaBroker b = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(b::stop, "kafka-broker-stop"));
        }
        return shared;
    }

    /** {@code 127.0.0.1:<port>} of the PLAINTEXT listener. */
    public String bootstrap() {
        return bootstrap;
    }

    private static KafkaBroker start() throws Exception {
        long t0 = System.nanoTime();
        Path dir = Files.createTempDirectory("kafka-test");
        int port = GatewayHarness.freePort();
        int controllerPort = GatewayHarness.freePort();
        Path props = dir.resolve("server.properties");
        Files.writeString(props, String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "auto.create.topics.enable=true",
                "log.flush.interval.messages=1000000",
                "") + "\n");
        // a Kafka cluster id is a base64 UUID; StorageTool random-uuid would need one more JVM start
        String clusterId = org.apache.kafka.common.Uuid.randomUuid().toString();
        Process format = java(dir, "format.log", "kafka.tools.StorageTool", "format", "-t", clusterId, "-c",
                props.toString()).start();
        if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
            format.destroyForcibly();
            throw new IllegalStateException("kafka storage format failed: " + Files.readString(dir.resolve("format.log")));
        }
        Process broker = java(dir, "broker.log", Child.class.getName(), props.toString()).start();
        KafkaBroker b = new KafkaBroker(broker, dir, "127.0.0.1:" + port);
        try (Admin admin = b.admin()) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    break;
                } catch (Exception e) {
                    if (!broker.isAlive() || System.nanoTime() > deadline) {
                        b.stop();
                        throw new IllegalStateException("kafka broker did not start:\n" + tail(dir));
                    }
                    Thread.sleep(200);
                }
            }
        }
        System.out.printf("kafka broker (KRaft) up on %s in %d ms%n", b.bootstrap, (System.nanoTime() - t0) / 1_000_000);
        return b;
    }

    private static ProcessBuilder java(Path dir, String log, String main, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xms128m");
        cmd.add("-Xmx512m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-Dlog4j2.level=WARN");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        File out = dir.resolve(log).toFile();
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out);
    }

    /**
     * The broker process's main: {@code kafka.Kafka} plus a watchdog that exits when its standard input closes, i.e.
     * when the test JVM that started it is gone, however it ended (no orphaned broker).
     */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Thread watchdog = new Thread(() -> {
                try {
                    while (System.in.read() != -1) {
                        // the parent never writes; read() returns -1 once it has exited
                    }
                } catch (IOException e) {
                    // parent gone
                }
                System.exit(0);
            }, "parent-watchdog");
            watchdog.setDaemon(true);
            watchdog.start();
            kafka.Kafka.main(args);
        }
    }

    /** An admin client on this broker (close it). */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10000));
    }

    /** Creates topics with {@code partitions} partitions each (replication factor 1). */
    public void createTopics(int partitions, String... names) throws Exception {
        try (Admin admin = admin()) {
            List<NewTopic> topics = Stream.of(names).map(n -> new NewTopic(n, partitions, (short) 1)).toList();
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        }
    }

    private static String tail(Path dir) {
        try {
            String s = Files.readString(dir.resolve("broker.log"));
            return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "";
        }
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // temp folder: best effort
        }
    }
}
