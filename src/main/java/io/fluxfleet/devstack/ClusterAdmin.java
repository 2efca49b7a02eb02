package io.fluxfleet.devstack;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
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

/** What a {@link KafkaCluster} asks the cluster itself, with an admin client: members, leaders, in-sync replicas. */
final class ClusterAdmin {

    private ClusterAdmin() {
    }

    /** An admin client with short timeouts: a probe, not a workload. */
    static Admin open(String bootstrapServers) {
        Properties config = new Properties();
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "fluxfleet-kafkacluster-probe");
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 4000);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 250);
        return Admin.create(config);
    }

    /** The ids of the nodes the cluster lists now. */
    static List<Integer> listedNodes(Admin admin) throws Exception {
        return admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).stream().map(Node::id).toList();
    }

    /** The id of the partition's current leader, as the cluster reports it (-1: no leader). */
    static int leaderOf(String bootstrapServers, TopicPartition partition) throws IOException {
        TopicDescription topic = describe(bootstrapServers, partition.topic(), Duration.ofSeconds(10));
        Node leader = topic.partitions().get(partition.partition()).leader();
        return leader == null || leader.isEmpty() ? -1 : leader.id();
    }

    /**
     * Describes a topic, waiting while the node asked does not know it yet: a topic just created on the
     * controller reaches the other nodes' metadata a moment later.
     */
    static TopicDescription describe(String bootstrapServers, String topic, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        try (Admin admin = open(bootstrapServers)) {
            while (true) {
                try {
                    return admin.describeTopics(List.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while describing " + topic, e);
                } catch (Exception e) {
                    if (Instant.now().isAfter(deadline)) {
                        throw new IOException("cannot describe " + topic + " within " + timeout.toSeconds() + " s: " + e, e);
                    }
                }
                ServerReadiness.pause(Duration.ofMillis(200));
            }
        }
    }

    /** Waits until every partition of the topics has all its replicas in sync. */
    static void awaitFullIsr(String bootstrapServers, Collection<String> topics, Duration timeout) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        String lagging = "";
        try (Admin admin = open(bootstrapServers)) {
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
                ServerReadiness.pause(Duration.ofMillis(500));
            }
        }
        throw new IOException("replicas not in sync within " + timeout.toSeconds() + " s: " + lagging);
    }

    private static String ids(TopicPartitionInfo partition) {
        return partition.isr().stream().map(n -> String.valueOf(n.id())).collect(Collectors.joining(",", "[", "]"));
    }
}
