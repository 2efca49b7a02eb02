package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.gateway.JobStateTopologyAccess;
import io.fluxfleet.routing.JobTopics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Read from the rendered overlays whose workers log in to Kafka (SASL): the gateway connects the way the
 * worker does (the same KAFKA_* settings and the same cluster CA mount) with credentials of its own
 * KafkaUser; that user's ACLs allow what the gateway and the console do with every topic and group their
 * configuration names, and not what only workers do; and the workers' user may write the heartbeats.
 *
 * <p>Mutation checks: dropping gateway-kafka.yaml from the prod patches fails
 * {@link #theGatewayConnectsLikeTheWorker}, and so do pointing its KAFKA_SASL_JAAS_CONFIG at the Secret
 * fluxfleet-worker and mounting the CA elsewhere; removing the fluxfleet.console.replays ACL, or Create on the fluxfleet-gateway- prefix,
 * fails {@link #theGatewaysUserMayDoWhatTheGatewayDoes}; so do granting it Write on fluxfleet.events and
 * misspelling a lane in k8s/overlays/two-pools/gateway-kafka-user.yaml;
 * removing the fluxfleet.heartbeats ACL from k8s/overlays/prod/kafka-user.yaml fails
 * {@link #theWorkersUserMayWriteHeartbeats}.
 */
class GatewayKafkaAccessTest {

    /** Suffix of the webhook dispatcher's consumer group after the application id (WebhookDispatcher). */
    static final String WEBHOOKS_GROUP_SUFFIX = "-webhooks";

    static List<String> securedOverlays() {
        return Rendered.OVERLAYS.stream().filter(o -> Rendered.overlay(o).workerConfig().get("kafka.security.protocol")
                .orElse("PLAINTEXT").startsWith("SASL")).toList();
    }

    @Test
    void prodIsSecured() {
        assertTrue(securedOverlays().containsAll(List.of("prod", "two-pools")), securedOverlays().toString());
    }

    @ParameterizedTest
    @MethodSource("securedOverlays")
    void theGatewayConnectsLikeTheWorker(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        ObjectNode gatewayDeployment = r.require("Deployment", GatewayTopicsTest.GATEWAY);
        Map<String, String> workerKafka = kafkaEnv(r.workerConfig());
        Map<String, String> gatewayKafka = kafkaEnv(GatewayTopicsTest.gatewayConfig(r));
        assertTrue(workerKafka.containsKey("KAFKA_SASL_JAAS_CONFIG"), workerKafka.toString());
        assertEquals(workerKafka, gatewayKafka, overlay + ": the gateway's Kafka settings differ from the worker's");

        JsonNode workerJaas = envEntry(Rendered.container(r.worker(), Rendered.WORKER_CONTAINER), "KAFKA_SASL_JAAS_CONFIG");
        JsonNode gatewayJaas = envEntry(Rendered.container(gatewayDeployment, GatewayTopicsTest.GATEWAY_CONTAINER),
                "KAFKA_SASL_JAAS_CONFIG");
        JsonNode workerRef = workerJaas.path("valueFrom").path("secretKeyRef");
        JsonNode gatewayRef = gatewayJaas.path("valueFrom").path("secretKeyRef");
        assertEquals(workerRef.path("key").asText(), gatewayRef.path("key").asText());
        String gatewaySecret = gatewayRef.path("name").asText();
        assertNotEquals(workerRef.path("name").asText(), gatewaySecret, overlay + ": the gateway needs its own identity");
        ObjectNode user = r.require("KafkaUser", gatewaySecret); // Strimzi names the user's Secret after it
        assertEquals(r.require("KafkaUser", workerRef.path("name").asText()).path("spec").path("authentication"),
                user.path("spec").path("authentication"), overlay + ": the gateway logs in the way the worker does");

        String truststore = r.workerConfig().require("kafka.ssl.truststore.location");
        assertEquals(mountedVolume(r.worker(), Rendered.WORKER_CONTAINER, truststore),
                mountedVolume(gatewayDeployment, GatewayTopicsTest.GATEWAY_CONTAINER, truststore),
                overlay + ": the gateway must find the cluster CA at " + truststore + " as the worker does");
    }

    @ParameterizedTest
    @MethodSource("securedOverlays")
    void theGatewaysUserMayDoWhatTheGatewayDoes(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = GatewayTopicsTest.gatewayConfig(r);
        JsonNode user = r.require("KafkaUser", gatewayUser(r));
        Map<String, List<String>> topics = new LinkedHashMap<>();
        List<String> lanes = new ArrayList<>(JobTopics.lanes(config.require("fluxfleet.topics.jobs")));
        lanes.addAll(GatewayTopicsTest.catalogLanes(r));
        // Submits and replays write the lanes; the fold reads them.
        lanes.forEach(t -> topics.put(t, List.of("Read", "Write", "Describe")));
        topics.put(config.require("fluxfleet.topics.events"), List.of("Read", "Describe"));
        topics.put(config.require("fluxfleet.topics.control"), List.of("Write", "Describe"));
        topics.put(config.require("fluxfleet.topics.dlq"), List.of("Read", "Describe"));
        topics.put(GatewayTopicsTest.topic(config, "fluxfleet.heartbeat.topic"), List.of("Read", "Describe"));
        for (String own : List.of("fluxfleet.gateway.topics.state", "fluxfleet.gateway.topics.index",
                "fluxfleet.gateway.topics.webhooks", "fluxfleet.gateway.topics.webhook-dlq", "fluxfleet.console.replays-topic")) {
            topics.put(GatewayTopicsTest.topic(config, own), List.of("Read", "Write", "Describe"));
        }
        String applicationId = config.get("fluxfleet.gateway.state.application-id").orElse("fluxfleet-gateway");
        for (String changelog : changelogs(r, config, lanes, applicationId)) {
            topics.put(changelog, List.of("Create", "Read", "Write", "Describe", "DescribeConfigs"));
        }
        Map<String, List<String>> groups = new LinkedHashMap<>();
        groups.put(applicationId, List.of("Read", "Describe"));
        groups.put(applicationId + WEBHOOKS_GROUP_SUFFIX, List.of("Read", "Describe"));
        // The console's consumer-lag table: the workers' groups.
        WorkerConfig worker = r.workerConfig();
        for (String group : List.of(worker.require("mp.messaging.incoming.jobs.group.id"),
                worker.require("mp.messaging.incoming.jobs-high.group.id"), worker.require("fluxfleet.topics.retry-group"))) {
            groups.put(group, List.of("Describe"));
        }
        List<String> missing = new ArrayList<>();
        topics.forEach((t, ops) -> ops.stream().filter(op -> !allows(user, "topic", t, op)).forEach(op -> missing.add(op + " topic " + t)));
        groups.forEach((g, ops) -> ops.stream().filter(op -> !allows(user, "group", g, op)).forEach(op -> missing.add(op + " group " + g)));
        assertTrue(missing.isEmpty(), overlay + ": the KafkaUser " + Yamls.name(user) + " lacks " + missing);

        // Least privilege: only workers write lifecycle events, retries, attempts and dead letters.
        for (String workersOnly : List.of("fluxfleet.topics.events", "fluxfleet.topics.retry", "fluxfleet.topics.dlq",
                "fluxfleet.topics.attempts")) {
            assertFalse(allows(user, "topic", config.require(workersOnly), "Write"), overlay + ": the gateway may not write "
                    + config.require(workersOnly));
        }
        for (JsonNode acl : Yamls.list(user, "spec", "authorization", "acls")) {
            assertNotEquals("cluster", acl.path("resource").path("type").asText(), overlay + ": no cluster rights for the gateway");
            assertFalse(operations(acl).contains("All"), overlay + ": name the operations, not All: " + acl);
        }
    }

    @ParameterizedTest
    @MethodSource("securedOverlays")
    void theWorkersUserMayWriteHeartbeats(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        String user = envEntry(Rendered.container(r.worker(), Rendered.WORKER_CONTAINER), "KAFKA_SASL_JAAS_CONFIG")
                .path("valueFrom").path("secretKeyRef").path("name").asText();
        String heartbeats = GatewayTopicsTest.topic(r.workerConfig(), "fluxfleet.heartbeat.topic");
        for (String op : List.of("Write", "Describe")) {
            assertTrue(allows(r.require("KafkaUser", user), "topic", heartbeats, op), overlay + ": the workers' KafkaUser "
                    + user + " may not " + op + " " + heartbeats + " (the console would show every worker as lost)");
        }
    }

    /** The KafkaUser whose Secret the gateway's KAFKA_SASL_JAAS_CONFIG comes from. */
    static String gatewayUser(Rendered r) {
        return envEntry(Rendered.container(r.require("Deployment", GatewayTopicsTest.GATEWAY), GatewayTopicsTest.GATEWAY_CONTAINER),
                "KAFKA_SASL_JAAS_CONFIG").path("valueFrom").path("secretKeyRef").path("name").asText();
    }

    /** Kafka Streams' changelog of every store the gateway's topology keeps (not the global tables' sources). */
    static List<String> changelogs(Rendered r, WorkerConfig config, List<String> lanes, String applicationId) {
        var topology = JobStateTopologyAccess.build(new JobStateTopologyAccess.Topics(lanes,
                config.require("fluxfleet.topics.events"), GatewayTopicsTest.topic(config, "fluxfleet.gateway.topics.state"),
                GatewayTopicsTest.topic(config, "fluxfleet.gateway.topics.index"),
                GatewayTopicsTest.topic(config, "fluxfleet.gateway.topics.webhooks"),
                GatewayTopicsTest.topic(config, "fluxfleet.gateway.topics.webhook-dlq")));
        List<String> out = new ArrayList<>();
        for (TopologyDescription.Subtopology sub : topology.describe().subtopologies()) {
            sub.nodes().stream().filter(n -> n instanceof TopologyDescription.Processor)
                    .flatMap(n -> ((TopologyDescription.Processor) n).stores().stream())
                    .forEach(store -> out.add(applicationId + "-" + store + "-changelog"));
        }
        assertFalse(out.isEmpty(), "the gateway's fold keeps a store: " + topology.describe());
        return out;
    }

    /**
     * Whether Kafka's simple authorizer lets the user do {@code op} on the resource: an ACL of that type whose
     * literal name is the resource's (or *) or whose prefix starts it, with the operation, All, or (for
     * Describe) Read or Write, which imply it.
     */
    static boolean allows(JsonNode user, String type, String name, String op) {
        for (JsonNode acl : Yamls.list(user, "spec", "authorization", "acls")) {
            JsonNode resource = acl.path("resource");
            if (!resource.path("type").asText().equals(type) || acl.path("type").asText("allow").equals("deny")) {
                continue;
            }
            String pattern = resource.path("name").asText();
            boolean matches = resource.path("patternType").asText("literal").equals("prefix") ? name.startsWith(pattern)
                    : pattern.equals(name) || pattern.equals("*");
            Set<String> ops = operations(acl);
            if (matches && (ops.contains(op) || ops.contains("All")
                    || op.equals("Describe") && (ops.contains("Read") || ops.contains("Write")))) {
                return true;
            }
        }
        return false;
    }

    static Set<String> operations(JsonNode acl) {
        Set<String> ops = new java.util.TreeSet<>();
        acl.path("operations").forEach(o -> ops.add(o.asText()));
        if (acl.has("operation")) {
            ops.add(acl.path("operation").asText());
        }
        return ops;
    }

    static Map<String, String> kafkaEnv(WorkerConfig config) {
        Map<String, String> out = new java.util.TreeMap<>();
        config.env().forEach((k, v) -> {
            if (k.startsWith("KAFKA_")) {
                out.put(k, v);
            }
        });
        return out;
    }

    static JsonNode envEntry(JsonNode container, String name) {
        for (JsonNode e : container.path("env")) {
            if (e.path("name").asText().equals(name)) {
                return e;
            }
        }
        throw new AssertionError("container " + container.path("name").asText() + " has no env " + name);
    }

    /** The mount path and the volume source (without its name) that hold {@code file} in the container. */
    static Map<String, JsonNode> mountedVolume(JsonNode workload, String container, String file) {
        for (JsonNode mount : Rendered.container(workload, container).path("volumeMounts")) {
            String path = mount.path("mountPath").asText();
            if (file.startsWith(path.endsWith("/") ? path : path + "/")) {
                String volume = mount.path("name").asText();
                Optional<JsonNode> source = Yamls.list(Rendered.podSpec(workload), "volumes").stream()
                        .filter(v -> v.path("name").asText().equals(volume)).findFirst();
                ObjectNode copy = Yamls.deepCopy(source.orElseThrow(() -> new AssertionError(Yamls.id(workload)
                        + " mounts the missing volume " + volume)));
                copy.remove("name");
                return Map.of(path, copy);
            }
        }
        throw new AssertionError(Yamls.id(workload) + ": nothing mounted at " + file + " in container " + container);
    }
}
