package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A replicated Kafka cluster as production runs it: three KRaft nodes (each broker and controller, each its
 * own child JVM) on free loopback ports, replication 3 and min.insync.replicas 2. For fault tests a node can
 * be SIGKILLed (for instance the leader of a partition) and restarted, and the whole cluster can be killed
 * and brought back on the same ports and log dirs. {@link LocalStack} stays the single-broker stack.
 *
 * <p>Layout: {@code <dir>/node-<id>/server.properties}, {@code <dir>/node-<id>/data/}, {@code <dir>/node-<id>.log}.
 */
public final class KafkaCluster implements AutoCloseable {

    /** Tunables; {@link #defaults()} suits tests on a small shared machine. */
    public record Settings(int nodes, int defaultPartitions, int minInsyncReplicas, int heapMb,
                           Duration startTimeout, Duration stopTimeout) {

        public static Settings defaults() {
            return new Settings(3, 1, 2, 384, Duration.ofSeconds(120), Duration.ofSeconds(30));
        }

        public Settings withDefaultPartitions(int partitions) {
            return new Settings(nodes, partitions, minInsyncReplicas, heapMb, startTimeout, stopTimeout);
        }
    }

    private static final String LOOPBACK = "127.0.0.1";
    private static final String MARKER = "-Dfluxfleet.kafkacluster.dir=";

    private final Path workDir;
    private final Settings settings;
    private final String classpath;
    private final int[] brokerPorts;
    private final int[] controllerPorts;
    private final List<ServerProcess> nodes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "fluxfleet-kafkacluster-shutdown");

    private KafkaCluster(Path workDir, Settings settings, String classpath, int[] ports) {
        this.workDir = workDir;
        this.settings = settings;
        this.classpath = classpath;
        this.brokerPorts = new int[settings.nodes()];
        this.controllerPorts = new int[settings.nodes()];
        for (int i = 0; i < settings.nodes(); i++) {
            brokerPorts[i] = ports[2 * i];
            controllerPorts[i] = ports[2 * i + 1];
            Path nodeDir = nodeDir(nodeId(i));
            nodes.add(new ServerProcess("Kafka node " + nodeId(i), javaCommand(settings.heapMb(),
                    List.of("-Dlog4j2.configurationFile=" + nodeDir.resolve("log4j2.properties")),
                    LocalStack.KAFKA_MAIN_CLASS, nodeDir.resolve("server.properties").toString()),
                    classpath, workDir, workDir.resolve("node-" + nodeId(i) + ".log")));
        }
    }

    /** Formats the log dirs (one cluster id), starts every node and waits until all of them are in the cluster. */
    public static KafkaCluster start(Path workDir, Settings settings) throws IOException {
        Path dir = workDir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        String classpath = StackClasspath.resolve(StackClasspath.projectRoot(), "kafka");
        KafkaCluster cluster = new KafkaCluster(dir, settings, classpath, LocalStack.freeLoopbackPorts(2 * settings.nodes()));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            String clusterId = Uuid.randomUuid().toString();
            for (int i = 0; i < settings.nodes(); i++) {
                cluster.writeConfig(i);
                cluster.format(i, clusterId);
            }
            cluster.startAll();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** {@code 127.0.0.1:p1,127.0.0.1:p2,...}: every node, so clients find the cluster with any node down. */
    public String bootstrapServers() {
        List<String> addresses = new ArrayList<>();
        for (int port : brokerPorts) {
            addresses.add(LOOPBACK + ":" + port);
        }
        return String.join(",", addresses);
    }

    /** Node ids, 1..n. */
    public List<Integer> nodeIds() {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < settings.nodes(); i++) {
            ids.add(nodeId(i));
        }
        return ids;
    }

    public int brokerPort(int nodeId) {
        return brokerPorts[nodeId - 1];
    }

    /** Pid of a node's JVM, or -1 while it is down. */
    public long pid(int nodeId) {
        return node(nodeId).pid();
    }

    public boolean isRunning(int nodeId) {
        return node(nodeId).isAlive();
    }

    public Path log(int nodeId) {
        return node(nodeId).logFile();
    }

    /** The id of the partition's current leader, as the cluster reports it (-1: no leader). */
    public int leaderOf(TopicPartition partition) throws IOException {
        try (Admin admin = admin()) {
            TopicDescription topic = admin.describeTopics(List.of(partition.topic())).allTopicNames()
                    .get(10, TimeUnit.SECONDS).get(partition.topic());
            Node leader = topic.partitions().get(partition.partition()).leader();
            return leader == null || leader.isEmpty() ? -1 : leader.id();
        } catch (Exception e) {
            throw new IOException("cannot describe " + partition + ": " + e.getMessage(), e);
        }
    }

    /** SIGKILLs the current leader of a partition (a crash, not a controlled shutdown); returns its node id. */
    public int killLeaderOf(TopicPartition partition) throws IOException {
        int leader = leaderOf(partition);
        if (leader < 1) {
            throw new IllegalStateException(partition + " has no leader to kill");
        }
        kill(leader);
        return leader;
    }

    /** SIGKILLs one node and waits until its process is gone. Its log dir is kept as the crash left it. */
    public synchronized void kill(int nodeId) {
        ServerProcess node = node(nodeId);
        ProcessHandle.of(node.pid()).ifPresent(handle -> {
            handle.destroyForcibly();
            handle.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        });
    }

    /** Starts a node that is down, on its ports and log dir, and waits until the cluster lists it again. */
    public synchronized void restart(int nodeId) throws IOException {
        node(nodeId).start();
        awaitNodes(List.of(nodeId));
    }

    /** SIGKILLs every node (a whole-cluster outage: power loss, not a rolling stop). */
    public synchronized void killAll() {
        for (int id : nodeIds()) {
            kill(id);
        }
    }

    /** Starts every node that is down (they need each other for the controller quorum) and waits for all. */
    public synchronized void startAll() throws IOException {
        for (ServerProcess node : nodes) {
            if (!node.isAlive()) {
                node.start();
            }
        }
        awaitNodes(nodeIds());
    }

    /**
     * Waits until every partition of the topics has all its replicas in sync again (after a restart the
     * node catches up first); a fault test does this before it injects the next fault.
     */
    public void awaitFullIsr(Collection<String> topics, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        String lagging = "";
        try (Admin admin = admin()) {
            while (Instant.now().isBefore(deadline)) {
                try {
                    Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames().get(5, TimeUnit.SECONDS);
                    lagging = described.values().stream()
                            .flatMap(topic -> topic.partitions().stream()
                                    .filter(p -> p.isr().size() < p.replicas().size())
                                    .map(p -> topic.name() + "-" + p.partition() + " isr=" + ids(p)))
                            .collect(Collectors.joining(", "));
                    if (lagging.isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    lagging = e.toString();
                }
                sleep(Duration.ofMillis(500));
            }
        }
        throw new IOException("replicas not in sync within " + timeout.toSeconds() + " s: " + lagging);
    }

    /** Stops every node (SIGTERM, then SIGKILL after the stop timeout). Data stays. Safe to call twice. */
    @Override
    public synchronized void close() {
        for (ServerProcess node : nodes) {
            node.stop(settings.stopTimeout());
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running; nothing to undo
        }
    }

    @Override
    public String toString() {
        return "KafkaCluster[" + bootstrapServers() + ", dir=" + workDir + "]";
    }

    // ---- plumbing ---------------------------------------------------------------------------------------

    private static int nodeId(int index) {
        return index + 1;
    }

    private ServerProcess node(int nodeId) {
        if (nodeId < 1 || nodeId > nodes.size()) {
            throw new IllegalArgumentException("no node " + nodeId + " (nodes are 1.." + nodes.size() + ")");
        }
        return nodes.get(nodeId - 1);
    }

    private Path nodeDir(int nodeId) {
        return workDir.resolve("node-" + nodeId);
    }

    private static String ids(TopicPartitionInfo partition) {
        return partition.isr().stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(",", "[", "]"));
    }

    private void writeConfig(int index) throws IOException {
        int id = nodeId(index);
        Path dir = nodeDir(id);
        Files.createDirectories(dir.resolve("data"));
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < settings.nodes(); i++) {
            voters.add(nodeId(i) + "@" + LOOPBACK + ":" + controllerPorts[i]);
        }
        int replicas = settings.nodes();
        int minIsr = settings.minInsyncReplicas();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", id);
        // Static voters: the ports live only in these files and never change for this cluster.
        config.put("controller.quorum.voters", String.join(",", voters));
        config.put("listeners", "PLAINTEXT://" + LOOPBACK + ":" + brokerPorts[index] + ",CONTROLLER://" + LOOPBACK + ":" + controllerPorts[index]);
        config.put("advertised.listeners", "PLAINTEXT://" + LOOPBACK + ":" + brokerPorts[index]);
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", dir.resolve("data"));
        config.put("num.partitions", settings.defaultPartitions());
        config.put("auto.create.topics.enable", true);
        config.put("default.replication.factor", replicas);
        config.put("min.insync.replicas", minIsr);
        config.put("unclean.leader.election.enable", false);
        config.put("offsets.topic.replication.factor", replicas);
        config.put("transaction.state.log.replication.factor", replicas);
        config.put("transaction.state.log.min.isr", minIsr);
        config.put("share.coordinator.state.topic.replication.factor", replicas);
        config.put("share.coordinator.state.topic.min.isr", minIsr);
        config.put("offsets.topic.num.partitions", 5);
        config.put("transaction.state.log.num.partitions", 5);
        config.put("group.initial.rebalance.delay.ms", 0);
        // A killed node is fenced within seconds instead of the default 9 s heartbeat timeout.
        config.put("broker.session.timeout.ms", 6000);
        config.put("broker.heartbeat.interval.ms", 1000);
        BrokerFiles.writeProperties(dir.resolve("server.properties"),
                "KRaft node " + id + " of " + settings.nodes() + ", written by " + KafkaCluster.class.getName(), config);
        BrokerFiles.writeLogConfig(dir);
    }

    private void format(int index, String clusterId) throws IOException {
        Path dir = nodeDir(nodeId(index));
        if (Files.exists(dir.resolve("data/meta.properties"))) {
            return;
        }
        Path formatLog = workDir.resolve("node-" + nodeId(index) + "-format.log");
        List<String> command = javaCommand(256, List.of("-Dlog4j2.configurationFile=" + dir.resolve("log4j2.properties")),
                "kafka.tools.StorageTool", "format", "--cluster-id", clusterId,
                "--config", dir.resolve("server.properties").toString());
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(formatLog.toFile()));
        builder.environment().put("CLASSPATH", classpath);
        Process process = builder.start();
        process.getOutputStream().close();
        try {
            if (!process.waitFor(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IOException("formatting " + dir + " failed\n" + ServerProcess.tail(formatLog, 30));
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while formatting " + dir, e);
        }
    }

    private void awaitNodes(List<Integer> expected) throws IOException {
        Instant deadline = Instant.now().plus(settings.startTimeout());
        Exception last = null;
        try (Admin admin = admin()) {
            while (Instant.now().isBefore(deadline)) {
                for (int id : expected) {
                    if (!node(id).isAlive()) {
                        throw new IOException("Kafka node " + id + " exited while starting\n" + node(id).logTail(40));
                    }
                }
                try {
                    List<Integer> listed = admin.describeCluster().nodes().get(3, TimeUnit.SECONDS)
                            .stream().map(Node::id).toList();
                    if (listed.containsAll(expected)) {
                        return;
                    }
                    last = new IllegalStateException("cluster lists nodes " + listed);
                } catch (Exception e) {
                    last = e;
                }
                sleep(Duration.ofMillis(250));
            }
        }
        throw new IOException("Kafka nodes " + expected + " not in the cluster within "
                + settings.startTimeout().toSeconds() + " s (last: " + last + ")\n" + node(expected.get(0)).logTail(40));
    }

    private Admin admin() {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "fluxfleet-kafkacluster-probe");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 250);
        return Admin.create(config);
    }

    private List<String> javaCommand(int heapMb, List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx" + heapMb + "m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true", MARKER + workDir));
        command.addAll(options);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }

    private static void sleep(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
