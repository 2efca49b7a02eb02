package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The files a {@link KafkaCluster} node starts from: {@code node-<id>/server.properties}, its log config and log dir. */
final class ClusterNodeFiles {

    private ClusterNodeFiles() {
    }

    /** Writes the config of the node at {@code index} (id index + 1) into {@code nodeDir}. */
    static void write(Path nodeDir, int index, ClusterPorts ports, KafkaCluster.Settings settings) throws IOException {
        int id = KafkaCluster.nodeId(index);
        Files.createDirectories(nodeDir.resolve("data"));
        int replicas = settings.nodes();
        int minIsr = settings.minInsyncReplicas();
        Map<String, Object> config = new KraftNodeConfig(id, ports.voters(), ports.broker().get(index),
                ports.controller().get(index), nodeDir.resolve("data"))
                .properties(settings.defaultPartitions(), replicas, minIsr);
        config.put("default.replication.factor", replicas);
        config.put("min.insync.replicas", minIsr);
        config.put("unclean.leader.election.enable", false);
        // A killed node is fenced within seconds instead of the default 9 s heartbeat timeout.
        config.put("broker.session.timeout.ms", 6000);
        config.put("broker.heartbeat.interval.ms", 1000);
        BrokerFiles.writeProperties(nodeDir.resolve("server.properties"),
                "KRaft node " + id + " of " + settings.nodes() + ", written by " + KafkaCluster.class.getName(), config);
        BrokerFiles.writeLogConfig(nodeDir);
    }
}
