package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * A replicated Kafka cluster as production runs it: three KRaft nodes (each broker and controller, each its
 * own child JVM) on free loopback ports, replication 3 and min.insync.replicas 2. For fault tests a node can
 * be SIGKILLed (for instance the leader of a partition) and restarted, and the whole cluster can be killed
 * and brought back on the same ports and log dirs. {@link LocalStack} stays the single-broker stack.
 *
 * <p>Layout: {@code <dir>/node-<id>/server.properties}, {@code <dir>/node-<id>/data/}, {@code <dir>/node-<id>.log}.
 * The node config is {@link ClusterNodeFiles}; what the cluster is asked goes through {@link ClusterAdmin}.
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

    private static final String MARKER = "-Dfluxfleet.kafkacluster.dir=";

    private final Path workDir;
    private final Settings settings;
    private final ClusterPorts ports;
    private final KraftFormat format;
    private final List<ServerProcess> nodes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "fluxfleet-kafkacluster-shutdown");

    private KafkaCluster(Path workDir, Settings settings, String classpath, ClusterPorts ports) {
        this.workDir = workDir;
        this.settings = settings;
        this.ports = ports;
        ChildJvm jvm = new ChildJvm(MARKER + workDir);
        this.format = new KraftFormat(jvm, classpath, workDir, settings.startTimeout());
        for (int i = 0; i < settings.nodes(); i++) {
            Path nodeDir = nodeDir(nodeId(i));
            nodes.add(new ServerProcess("Kafka node " + nodeId(i), jvm.command(settings.heapMb(),
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
        KafkaCluster cluster = new KafkaCluster(dir, settings, classpath, ClusterPorts.free(settings.nodes()));
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            String clusterId = Uuid.randomUuid().toString();
            for (int i = 0; i < settings.nodes(); i++) {
                Path nodeDir = cluster.nodeDir(nodeId(i));
                ClusterNodeFiles.write(nodeDir, i, cluster.ports, settings);
                cluster.format.formatIfNeeded(nodeDir, dir.resolve("node-" + nodeId(i) + "-format.log"),
                        clusterId, List.of());
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
        return ports.bootstrapServers();
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
        return ports.broker().get(nodeId - 1);
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

    /** The topic as the cluster describes it, once the node asked knows it (a fresh topic takes a moment). */
    public TopicDescription describe(String topic, Duration timeout) throws IOException {
        return ClusterAdmin.describe(bootstrapServers(), topic, timeout);
    }

    /** The id of the partition's current leader, as the cluster reports it (-1: no leader). */
    public int leaderOf(TopicPartition partition) throws IOException {
        return ClusterAdmin.leaderOf(bootstrapServers(), partition);
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
        node(nodeId).kill();
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
        ClusterAdmin.awaitFullIsr(bootstrapServers(), topics, timeout);
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

    static int nodeId(int index) {
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

    private void awaitNodes(List<Integer> expected) throws IOException {
        Instant deadline = Instant.now().plus(settings.startTimeout());
        Exception last = null;
        try (Admin admin = ClusterAdmin.open(bootstrapServers())) {
            while (Instant.now().isBefore(deadline)) {
                for (int id : expected) {
                    if (!node(id).isAlive()) {
                        throw new IOException("Kafka node " + id + " exited while starting\n" + node(id).logTail(40));
                    }
                }
                try {
                    List<Integer> listed = ClusterAdmin.listedNodes(admin);
                    if (listed.containsAll(expected)) {
                        return;
                    }
                    last = new IllegalStateException("cluster lists nodes " + listed);
                } catch (Exception e) {
                    last = e;
                }
                ServerReadiness.pause(Duration.ofMillis(250));
            }
        }
        throw new IOException("Kafka nodes " + expected + " not in the cluster within "
                + settings.startTimeout().toSeconds() + " s (last: " + last + ")\n" + node(expected.get(0)).logTail(40));
    }
}
