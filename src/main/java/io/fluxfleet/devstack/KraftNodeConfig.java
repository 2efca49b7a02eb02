package io.fluxfleet.devstack;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code server.properties} entries every local KRaft node shares, whether alone ({@link LocalKafka}) or
 * one of a {@link KafkaCluster}: broker and controller in one JVM, PLAINTEXT listeners on loopback.
 *
 * @param voters {@code controller.quorum.voters}: static, the ports live only in the nodes' config files
 */
record KraftNodeConfig(int nodeId, String voters, int brokerPort, int controllerPort, Path logDir) {

    /**
     * @param replicas replication factor of the internal topics (offsets, transactions, share state)
     * @param minIsr   their min.insync.replicas
     */
    Map<String, Object> properties(int defaultPartitions, int replicas, int minIsr) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("process.roles", "broker,controller");
        config.put("node.id", nodeId);
        config.put("controller.quorum.voters", voters);
        config.put("listeners", "PLAINTEXT://" + Loopback.address(brokerPort) + ",CONTROLLER://" + Loopback.address(controllerPort));
        config.put("advertised.listeners", "PLAINTEXT://" + Loopback.address(brokerPort));
        config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        config.put("controller.listener.names", "CONTROLLER");
        config.put("inter.broker.listener.name", "PLAINTEXT");
        config.put("log.dirs", logDir);
        config.put("num.partitions", defaultPartitions);
        config.put("auto.create.topics.enable", true);
        config.put("offsets.topic.replication.factor", replicas);
        config.put("transaction.state.log.replication.factor", replicas);
        config.put("transaction.state.log.min.isr", minIsr);
        config.put("share.coordinator.state.topic.replication.factor", replicas);
        config.put("share.coordinator.state.topic.min.isr", minIsr);
        // Fewer internal partitions than the default 50: the first consumer group comes up in a fraction of the time.
        config.put("offsets.topic.num.partitions", 5);
        config.put("transaction.state.log.num.partitions", 5);
        // Consumers join at once instead of waiting 3 s for more members.
        config.put("group.initial.rebalance.delay.ms", 0);
        return config;
    }
}
