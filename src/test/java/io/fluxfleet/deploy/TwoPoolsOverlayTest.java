package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.routing.Lane;
import io.fluxfleet.routing.LaneBounds;
import io.fluxfleet.routing.ModelCatalog;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The two-pool overlay (k8s/overlays/two-pools) read as the pods see it: each worker Deployment is the
 * catalog pool of its model (topic, directory), consumes exactly that pool's three lanes and its own
 * retry topic, and KEDA scales it on the sum of exactly those lags; the router reads the common lanes
 * with the same catalog; every topic exists as a KafkaTopic and no two roles share one.
 */
class TwoPoolsOverlayTest {

    private static final String OVERLAY = "two-pools";
    private static final Map<String, String> POOLS = Map.of("dev", "fluxfleet-worker",
            "schnell", "fluxfleet-worker-schnell");
    private static final Map<String, Lane> LANE_CHANNELS = Map.of("jobs-high", Lane.HIGH, "jobs", Lane.NORMAL,
            "jobs-low", Lane.LOW);

    private final Rendered r = Rendered.overlay(OVERLAY);
    private final ModelCatalog catalog = ModelCatalog.parse(
            r.require("ConfigMap", "fluxfleet-models").path("data").path("models.yaml").asText(), "fluxfleet.jobs");

    /**
     * Mutation check: with FLUXFLEET_POOL_TOPIC of fluxfleet-pool-schnell set to fluxfleet.jobs.dev the
     * schnell pool's lanes were dev's and the test failed; with the dev ScaledObject patch's lane_low
     * trigger left on fluxfleet.jobs.low it failed on the dev pool's triggers.
     */
    @Test
    void eachPoolConsumesItsCatalogModelsLanesAndScalesOnTheirTotalLag() {
        Set<String> groupsSeen = new HashSet<>();
        for (Map.Entry<String, String> pool : POOLS.entrySet()) {
            ModelCatalog.Entry entry = catalog.entry(pool.getKey()).orElseThrow();
            JsonNode deployment = r.require("Deployment", pool.getValue());
            WorkerConfig config = WorkerConfig.of(r, deployment, Rendered.WORKER_CONTAINER);
            String id = OVERLAY + " " + pool.getValue();
            assertEquals(entry.topic(), config.require("fluxfleet.pool.topic"), id + ": the pool's topic");
            assertEquals(entry.dir().orElseThrow().toString(), config.require("fluxfleet.model-dir"), id + ": its model");
            assertCatalogMounted(deployment, config.require("fluxfleet.catalog.file"), id);

            Map<String, String> expectedTriggers = new HashMap<>(); // consumer group -> topic
            for (Map.Entry<String, Lane> channel : LANE_CHANNELS.entrySet()) {
                String topic = config.require("mp.messaging.incoming." + channel.getKey() + ".topic");
                assertEquals(channel.getValue().topicOf(entry.topic()), topic, id + ": channel " + channel.getKey());
                assertTrue(r.kafkaTopic(topic).isPresent(), id + ": no KafkaTopic " + topic);
                expectedTriggers.put(config.require("mp.messaging.incoming." + channel.getKey() + ".group.id"), topic);
            }
            String retry = config.require("fluxfleet.topics.retry");
            assertTrue(retry.startsWith(entry.topic() + "."), id + ": a retry of this pool's job must come back to it: " + retry);
            assertTrue(r.kafkaTopic(retry).isPresent(), id + ": no KafkaTopic " + retry);
            expectedTriggers.put(config.require("fluxfleet.topics.retry-group"), retry);
            expectedTriggers.keySet().forEach(g -> assertTrue(groupsSeen.add(g), id + ": consumer group " + g + " shared"));
            JsonNode user = r.require("KafkaUser", Rendered.WORKER);
            expectedTriggers.forEach((group, topic) -> {
                assertTrue(WorkerAgreementTest.allowed(user, "topic", topic, "Read"), id + ": KafkaUser may not read " + topic);
                assertTrue(WorkerAgreementTest.allowed(user, "group", group, "Read"), id + ": KafkaUser may not join " + group);
            });
            assertTrue(WorkerAgreementTest.allowed(user, "topic", retry, "Write"), id + ": may not write " + retry);

            JsonNode scaled = scaledObjectOf(pool.getValue());
            List<JsonNode> triggers = Yamls.list(scaled, "spec", "triggers");
            Map<String, String> actual = triggers.stream().collect(Collectors.toMap(
                    t -> t.path("metadata").path("consumerGroup").asText(), t -> t.path("metadata").path("topic").asText()));
            assertEquals(expectedTriggers, actual, id + ": KEDA must watch exactly the pool's lanes and retries");
            String formula = Yamls.text(scaled, "spec", "advanced", "scalingModifiers", "formula");
            Set<String> summed = Set.of(formula.split("\\s*\\+\\s*"));
            assertEquals(triggers.stream().map(t -> t.path("name").asText()).collect(Collectors.toSet()), summed,
                    id + ": the scaling modifier must add up every trigger's lag: " + formula);
        }
    }

    /** Mutation check: with the dev pool's gpu.product line removed from dev-pool.yaml the test failed. */
    @Test
    void devRunsOnLargerGpusThanSchnell() {
        JsonNode dev = Rendered.podSpec(r.require("Deployment", POOLS.get("dev")));
        JsonNode schnell = Rendered.podSpec(r.require("Deployment", POOLS.get("schnell")));
        String devGpu = dev.path("nodeSelector").path("nvidia.com/gpu.product").asText("");
        String schnellGpu = schnell.path("nodeSelector").path("nvidia.com/gpu.product").asText("");
        assertTrue(!devGpu.isEmpty() && !schnellGpu.isEmpty(), "each pool selects its GPU product: " + devGpu + ", " + schnellGpu);
        assertNotEquals(devGpu, schnellGpu, "the pools select different GPUs");
        for (String deployment : POOLS.values()) {
            assertEquals(1, Rendered.container(r.require("Deployment", deployment), "worker")
                    .path("resources").path("limits").path("nvidia.com/gpu").asInt(), deployment + ": one GPU per pod");
        }
    }

    /**
     * Mutation check: with the router's FLUXFLEET_CATALOG_FILE removed the router had no catalog (it
     * refuses to start without one) and the test failed.
     */
    @Test
    void theRouterReadsTheCommonLanesWithTheSameCatalog() {
        JsonNode router = r.require("Deployment", "fluxfleet-router");
        WorkerConfig config = WorkerConfig.of(r, router, "router");
        assertEquals("router", config.require("quarkus.profile"));
        assertCatalogMounted(router, config.require("fluxfleet.catalog.file"), "router");
        String common = config.require("fluxfleet.topics.jobs");
        List<String> lanes = JobTopics.lanes(common);
        assertEquals(Set.copyOf(lanes), Set.of(config.require("mp.messaging.incoming.routed-jobs.topics").split(",")));
        lanes.forEach(t -> assertTrue(r.kafkaTopic(t).isPresent(), "router: no KafkaTopic " + t));
        JobTopics topics = new JobTopics(common, catalog, LaneBounds.DEFAULT);
        List<String> others = new ArrayList<>(List.of(config.require("fluxfleet.topics.dlq"),
                config.require("fluxfleet.topics.events"), config.require("fluxfleet.topics.control"),
                config.require("fluxfleet.topics.attempts")));
        POOLS.values().forEach(d -> others.add(WorkerConfig.of(r, r.require("Deployment", d), "worker")
                .require("fluxfleet.topics.retry")));
        topics.checkDistinct(others); // throws when a lane would be another topic
        POOLS.keySet().forEach(m -> assertTrue(topics.poolTopic(m).isPresent(), "no pool serves " + m));
        JsonNode user = r.require("KafkaUser", Rendered.WORKER);
        lanes.forEach(t -> assertTrue(WorkerAgreementTest.allowed(user, "topic", t, "Read"), "router may not read " + t));
        catalog.entries().forEach(e -> JobTopics.lanes(e.topic()).forEach(t -> assertTrue(
                WorkerAgreementTest.allowed(user, "topic", t, "Write"), "router may not forward to " + t)));
    }

    /**
     * The gateway routes with the same catalog as the router. Mutation check: without the gateway-catalog
     * patch the gateway had no fluxfleet.catalog.file and this failed.
     */
    @Test
    void theGatewayRoutesWithTheSameCatalog() {
        JsonNode gateway = r.require("Deployment", GatewayTopicsTest.GATEWAY);
        WorkerConfig config = WorkerConfig.of(r, gateway, GatewayTopicsTest.GATEWAY_CONTAINER);
        assertCatalogMounted(gateway, config.require("fluxfleet.catalog.file"), "gateway");
    }

    private JsonNode scaledObjectOf(String deployment) {
        return r.ofKind("ScaledObject").filter(s -> deployment.equals(Yamls.text(s, "spec", "scaleTargetRef", "name")))
                .findFirst().orElseThrow(() -> new AssertionError(OVERLAY + ": no ScaledObject scales " + deployment));
    }

    /** The file is the models.yaml key of ConfigMap fluxfleet-models, mounted in the container. */
    private void assertCatalogMounted(JsonNode workload, String file, String id) {
        JsonNode pod = Rendered.podSpec(workload);
        String volume = null;
        for (JsonNode v : pod.path("volumes")) {
            if ("fluxfleet-models".equals(Yamls.text(v, "configMap", "name"))) {
                volume = v.path("name").asText();
            }
        }
        assertTrue(volume != null, id + ": the catalog ConfigMap is not a volume");
        boolean mounted = false;
        for (JsonNode c : pod.path("containers")) {
            for (JsonNode m : c.path("volumeMounts")) {
                mounted |= m.path("name").asText().equals(volume) && file.equals(m.path("mountPath").asText() + "/models.yaml");
            }
        }
        assertTrue(mounted, id + ": fluxfleet.catalog.file " + file + " is not where the catalog is mounted");
    }
}
