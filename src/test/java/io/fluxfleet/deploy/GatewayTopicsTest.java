package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.gateway.JobStateTopologyAccess;
import io.fluxfleet.routing.JobTopics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Read from the rendered overlays: every topic the application names ({@link AppTopics}: the config
 * mappings of the worker, the gateway, the console and the heartbeat, the channels, the lanes) has a
 * KafkaTopic; the inputs of the gateway's job-state fold (read from the topology the gateway builds) are
 * co-partitioned; the gateway's and the console's topics have the cleanup policy and retention their use
 * needs; and every topic fits the overlay's brokers.
 *
 * <p>Mutation checks: deleting the fluxfleet-heartbeats KafkaTopic from k8s/base fails
 * {@link #everyTopicTheApplicationNamesIsDeclared} (and so does removing fluxfleet.console.replays from the
 * component); giving fluxfleet.gateway.webhooks.dlq 8 partitions fails {@link #theFoldsInputsAreCoPartitioned};
 * a webhooks retention of 24 h fails {@link #webhookDeliveriesOutliveTheirRetries}; narrowing the dev overlay's
 * single-broker patch to the topic fluxfleet-jobs (target by name) fails {@link #topicsFitTheBrokers};
 * unsetting FLUXFLEET_GATEWAY_STATE_REPLICATION_FACTOR in prod fails {@link #topicsTheGatewayCreatesFitTheBrokers};
 * making {@link AppTopics#namesATopic} skip the {@code Topics} groups fails {@link #theTopicListComesFromTheConfigMappings}.
 */
class GatewayTopicsTest {

    static final String GATEWAY = "fluxfleet-gateway";
    static final String GATEWAY_CONTAINER = "gateway";

    static List<String> overlays() {
        return Rendered.OVERLAYS;
    }

    static WorkerConfig gatewayConfig(Rendered r) {
        return WorkerConfig.of(r, r.require("Deployment", GATEWAY), GATEWAY_CONTAINER);
    }

    @Test
    void theTopicListComesFromTheConfigMappings() {
        Map<String, String> topics = AppTopics.of(Rendered.overlay("dev").workerConfig());
        // A guard on the derivation itself: a scan that finds no mapping would make the test below vacuous.
        for (String property : List.of("fluxfleet.topics.events", "fluxfleet.topics.attempts",
                "fluxfleet.gateway.topics.webhook-dlq", "fluxfleet.console.replays-topic", "fluxfleet.heartbeat.topic")) {
            assertTrue(topics.containsKey(property), "AppTopics misses " + property + ": " + topics);
        }
        assertTrue(topics.containsValue("fluxfleet.jobs.high") && topics.containsValue("fluxfleet.jobs.low"), topics.toString());
        assertTrue(topics.keySet().stream().noneMatch(p -> p.endsWith("group")), "consumer groups are not topics: " + topics);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyTopicTheApplicationNamesIsDeclared(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        Map<String, String> missing = new TreeMap<>();
        Map<String, String> topics = new TreeMap<>(AppTopics.of(r.workerConfig()));
        topics.putAll(AppTopics.of(gatewayConfig(r)));
        topics.forEach((property, topic) -> {
            if (r.kafkaTopic(topic).isEmpty()) {
                missing.put(property, topic);
            }
        });
        assertTrue(missing.isEmpty(), overlay + ": no KafkaTopic for " + missing + " (the worker's in "
                + "k8s/base/kafka-topics.yaml, the gateway's and console's in k8s/components/gateway/kafka-topics.yaml)");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theFoldsInputsAreCoPartitioned(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = gatewayConfig(r);
        List<String> lanes = new ArrayList<>(JobTopics.lanes(config.require("fluxfleet.topics.jobs")));
        lanes.addAll(catalogLanes(r));
        var topology = JobStateTopologyAccess.build(new JobStateTopologyAccess.Topics(lanes,
                config.require("fluxfleet.topics.events"), topic(config, "fluxfleet.gateway.topics.state"),
                topic(config, "fluxfleet.gateway.topics.index"), topic(config, "fluxfleet.gateway.topics.webhooks"),
                topic(config, "fluxfleet.gateway.topics.webhook-dlq")));
        int checked = 0;
        for (TopologyDescription.Subtopology sub : topology.describe().subtopologies()) {
            boolean stateful = sub.nodes().stream().anyMatch(n -> n instanceof TopologyDescription.Processor p
                    && !p.stores().isEmpty());
            if (!stateful) {
                continue;
            }
            // One task per partition number holds a jobId's state: each input must put it on the same number.
            Map<String, Integer> partitions = new TreeMap<>();
            sub.nodes().stream().filter(n -> n instanceof TopologyDescription.Source)
                    .flatMap(n -> ((TopologyDescription.Source) n).topicSet().stream())
                    .forEach(t -> partitions.put(t, partitions(r, t)));
            assertTrue(partitions.containsKey(config.require("fluxfleet.topics.events")), partitions.toString());
            assertEquals(1, Set.copyOf(partitions.values()).size(), overlay
                    + ": the job-state fold reads these topics by jobId and needs them co-partitioned: " + partitions);
            checked++;
        }
        assertTrue(checked > 0, "the gateway's topology has no stateful sub-topology: " + topology.describe());
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void webhookDeliveriesOutliveTheirRetries(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = gatewayConfig(r);
        Duration maxAge = config.duration("fluxfleet.gateway.webhooks.max-age", Duration.ofHours(24));
        JsonNode webhooks = kafkaTopic(r, topic(config, "fluxfleet.gateway.topics.webhooks"));
        assertTrue(retention(webhooks).compareTo(maxAge.plusHours(24)) >= 0, overlay + ": "
                + "a delivery is retried for " + maxAge + "; keep the deliveries a day longer at least, for an outage");
        int maxReplicas = r.require("HorizontalPodAutoscaler", GATEWAY).path("spec").path("maxReplicas").asInt();
        assertTrue(webhooks.path("spec").path("partitions").asInt() >= maxReplicas, overlay
                + ": fewer webhook partitions than gateway replicas leaves replicas without deliveries to make");
        JsonNode dlq = kafkaTopic(r, topic(config, "fluxfleet.gateway.topics.webhook-dlq"));
        assertTrue(retention(dlq).compareTo(retention(kafkaTopic(r, config.require("fluxfleet.topics.dlq")))) >= 0,
                overlay + ": dead webhook deliveries are kept as long as dead jobs");
        assertTrue(retention(kafkaTopic(r, topic(config, "fluxfleet.console.replays-topic")))
                .compareTo(config.duration("fluxfleet.gateway.state.retention", Duration.ofDays(7))) >= 0,
                overlay + ": the replay log must last as long as the job timelines that show it");
        for (String keyed : List.of("fluxfleet.gateway.topics.state", "fluxfleet.gateway.topics.index",
                "fluxfleet.heartbeat.topic")) {
            String policy = Yamls.text(kafkaTopic(r, topic(config, keyed)), "spec", "config", "cleanup.policy");
            assertTrue(policy != null && policy.contains("compact"), overlay + ": " + keyed + " holds keyed state: compact it");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void topicsFitTheBrokers(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        int brokers = brokers(r);
        r.ofKind("KafkaTopic").forEach(t -> {
            int replicas = t.path("spec").path("replicas").asInt();
            int minIsr = Integer.parseInt(Yamls.text(t, "spec", "config", "min.insync.replicas"));
            assertTrue(brokers == 0 || replicas <= brokers, overlay + ": " + Rendered.topicName(t) + " wants "
                    + replicas + " replicas on " + brokers + " broker(s)");
            assertTrue(minIsr <= replicas, overlay + ": " + Rendered.topicName(t) + ": min.insync.replicas above replicas");
        });
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void topicsTheGatewayCreatesFitTheBrokers(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        // The Streams changelog is created by the gateway with this replication; acks=all needs min.insync.replicas.
        int replication = Integer.parseInt(gatewayConfig(r).get("fluxfleet.gateway.state.replication-factor").orElse("1"));
        int minIsr = r.ofKind("KafkaTopic").mapToInt(t -> Integer.parseInt(Yamls.text(t, "spec", "config",
                "min.insync.replicas"))).max().orElseThrow();
        assertTrue(replication >= minIsr, overlay + ": the gateway creates its changelog with " + replication
                + " replica(s) but the cluster wants " + minIsr + " in sync (FLUXFLEET_GATEWAY_STATE_REPLICATION_FACTOR)");
        int brokers = brokers(r);
        assertTrue(brokers == 0 || replication <= brokers, overlay + ": replication " + replication + " on " + brokers);
    }

    /** Brokers of the Kafka cluster the overlay deploys (its KafkaNodePools); 0 when it uses an external one. */
    static int brokers(Rendered r) {
        return r.ofKind("KafkaNodePool").filter(p -> Yamls.list(p, "spec", "roles").stream()
                .anyMatch(role -> role.asText().equals("broker"))).mapToInt(p -> p.path("spec").path("replicas").asInt()).sum();
    }

    /** The lanes of every pool in the overlay's model catalog (the ConfigMap fluxfleet-models), if any. */
    static List<String> catalogLanes(Rendered r) {
        List<String> lanes = new ArrayList<>();
        r.find("ConfigMap", "fluxfleet-models").ifPresent(cm -> {
            JsonNode catalog;
            try {
                catalog = Yamls.readAll(cm.path("data").path("models.yaml").asText()).get(0);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            String prefix = r.workerConfig().get("fluxfleet.catalog.topic-prefix").orElse("fluxfleet.jobs");
            catalog.path("models").fields().forEachRemaining(e -> lanes.addAll(JobTopics.lanes(
                    e.getValue().path("topic").asText(prefix + "." + e.getKey()))));
        });
        return lanes;
    }

    static String topic(WorkerConfig config, String property) {
        String topic = AppTopics.of(config).get(property);
        if (topic == null) {
            throw new AssertionError("no topic property " + property + " in the config mappings");
        }
        return topic;
    }

    static ObjectNode kafkaTopic(Rendered r, String topic) {
        return (ObjectNode) r.kafkaTopic(topic).orElseThrow(() -> new AssertionError(r.overlay + ": no KafkaTopic " + topic));
    }

    static int partitions(Rendered r, String topic) {
        return kafkaTopic(r, topic).path("spec").path("partitions").asInt();
    }

    static Duration retention(JsonNode kafkaTopic) {
        String ms = Yamls.text(kafkaTopic, "spec", "config", "retention.ms");
        assertTrue(ms != null, Rendered.topicName(kafkaTopic) + ": set retention.ms");
        return Duration.ofMillis(Long.parseLong(ms));
    }
}
