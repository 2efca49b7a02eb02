package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifests agree with the worker's own configuration (application.properties plus what each
 * overlay sets in the pod's environment): the topic and consumer group KEDA watches, the grace period
 * against the render timeout, the partition count against the replica cap, slots against GPUs,
 * and the settings the worker checks at startup.
 */
class WorkerAgreementTest {

    /** How long the worker's shutdown itself may take after the drain (slots wait up to 30 s, Kafka closes). */
    static final Duration SHUTDOWN_ALLOWANCE = Duration.ofSeconds(60);

    static List<String> overlays() {
        return Rendered.OVERLAYS;
    }

    static List<String> scaledOverlays() {
        return Rendered.OVERLAYS.stream().filter(o -> Rendered.overlay(o).ofKind("ScaledObject").findAny().isPresent())
                .toList();
    }

    private static JsonNode kafkaTrigger(Rendered r) {
        ObjectNode so = r.require("ScaledObject", Rendered.WORKER);
        // The jobs trigger; the retry trigger is checked by RetryScalingAndRecordLimitsTest.
        String jobsGroup = r.workerConfig().require("mp.messaging.incoming." + Rendered.JOBS_CHANNEL + ".group.id");
        List<JsonNode> triggers = Yamls.list(so, "spec", "triggers").stream()
                .filter(t -> t.path("type").asText().equals("kafka"))
                .filter(t -> t.path("metadata").path("consumerGroup").asText().equals(jobsGroup)).toList();
        assertEquals(1, triggers.size(), r.overlay + ": one kafka trigger on the jobs group expected");
        return triggers.get(0);
    }

    @Test
    void prodAutoscalesAndDevIsASingleWorker() {
        assertTrue(scaledOverlays().contains("prod"), "prod must scale with KEDA");
        Rendered dev = Rendered.overlay("dev");
        assertTrue(dev.find("ScaledObject", Rendered.WORKER).isEmpty());
        assertEquals(1, dev.worker().path("spec").path("replicas").asInt(), "dev runs one worker");
        assertFalse(Rendered.overlay("prod").worker().path("spec").has("replicas"),
                "prod leaves the replica count to KEDA's HPA (a fixed count would fight it on every apply)");
    }

    @ParameterizedTest
    @MethodSource("scaledOverlays")
    void scaledObjectWatchesTheWorkersTopicAndGroup(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        String channel = "mp.messaging.incoming." + Rendered.JOBS_CHANNEL + ".";
        JsonNode meta = kafkaTrigger(r).path("metadata");
        assertEquals(config.require(channel + "topic"), meta.path("topic").asText(),
                "KEDA must watch the topic the worker consumes (" + channel + "topic)");
        assertEquals(config.require(channel + "group.id"), meta.path("consumerGroup").asText(),
                "KEDA must watch the worker's consumer group (" + channel + "group.id)");
        assertEquals(config.require("kafka.bootstrap.servers"), meta.path("bootstrapServers").asText(),
                "KEDA and the worker must talk to the same brokers");
        assertEquals(config.get(channel + "auto.offset.reset").orElse("latest"), meta.path("offsetResetPolicy").asText("latest"),
                "KEDA's offsetResetPolicy must match the worker's auto.offset.reset, or a new group's lag is misjudged");
        ObjectNode so = r.require("ScaledObject", Rendered.WORKER);
        assertEquals("Deployment", so.path("spec").path("scaleTargetRef").path("kind").asText("Deployment"));
        assertEquals(Rendered.WORKER, so.path("spec").path("scaleTargetRef").path("name").asText());
    }

    @ParameterizedTest
    @MethodSource("scaledOverlays")
    void scalingFollowsOneJobPerGpuAndThePartitionCount(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        JsonNode spec = r.require("ScaledObject", Rendered.WORKER).path("spec");
        JsonNode meta = kafkaTrigger(r).path("metadata");
        int lagThreshold = Integer.parseInt(meta.path("lagThreshold").asText());
        assertTrue(lagThreshold >= 1 && lagThreshold <= 2, "one or two jobs per GPU: lagThreshold " + lagThreshold);
        int min = spec.path("minReplicaCount").asInt(0);
        int max = spec.path("maxReplicaCount").asInt();
        assertTrue(max >= 1 && max >= min);
        if (min == 0) {
            assertTrue(meta.has("activationLagThreshold"), "scale-to-zero needs an explicit activationLagThreshold");
            assertEquals(0, Integer.parseInt(meta.path("activationLagThreshold").asText()),
                    "from zero replicas one waiting job must start a worker: activation fires when lag > threshold");
        }
        String topic = meta.path("topic").asText();
        ObjectNode kafkaTopic = r.kafkaTopic(topic).orElseThrow(() -> new AssertionError("no KafkaTopic for " + topic));
        int partitions = kafkaTopic.path("spec").path("partitions").asInt();
        assertTrue(max <= partitions, "maxReplicaCount " + max + " exceeds the " + partitions + " partitions of "
                + topic + ": the extra workers would idle");
        assertFalse(meta.path("allowIdleConsumers").asText("false").equals("true"),
                "idle consumers would hold GPUs without partitions");
        JsonNode scaleDown = spec.path("advanced").path("horizontalPodAutoscalerConfig").path("behavior")
                .path("scaleDown");
        assertTrue(scaleDown.path("stabilizationWindowSeconds").asInt() >= 300,
                "scale-down needs a stabilisation window (lag falls as renders finish)");
        assertTrue(spec.path("cooldownPeriod").asInt(300) >= 300, "scale to zero only after a quiet period");
    }

    /**
     * The longest a job stays in flight (until its record is acknowledged), as the worker computes it
     * (StartupChecks.inFlightBudget): render timeout + upload budget + terminal-event publish budget
     * (publish-attempts tries of publish-timeout, pauses from 0.5 s doubling up to 8 s between them).
     */
    static Duration inFlightBudget(WorkerConfig config) {
        Duration render = config.duration("fluxfleet.render.timeout", Duration.ofMinutes(30));
        Duration upload = config.duration("fluxfleet.reliability.upload-budget", Duration.ofMinutes(1));
        Duration publish = config.duration("fluxfleet.render.publish-timeout", Duration.ofSeconds(30));
        int attempts = Integer.parseInt(config.get("fluxfleet.reliability.publish-attempts").orElse("5"));
        Duration publishBudget = publish.multipliedBy(attempts);
        long pause = 500;
        for (int i = 1; i < attempts; i++) {
            publishBudget = publishBudget.plusMillis(pause);
            pause = Math.min(8_000, pause * 2);
        }
        return render.plus(upload).plus(publishBudget);
    }

    /**
     * Mutation check: FLUXFLEET_SHUTDOWN_GRACE PT5M (below the 417.5 s budget) or a
     * terminationGracePeriodSeconds of 750 (below drain + grace + 60 s) failed this test.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void gracePeriodOutlastsTheLongestRender(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        Duration render = config.duration("fluxfleet.render.timeout", Duration.ofMinutes(30));
        Duration job = inFlightBudget(config);
        Duration shutdownGrace = config.duration("fluxfleet.shutdown.grace", Duration.ofMinutes(35));
        long grace = Rendered.podSpec(r.worker()).path("terminationGracePeriodSeconds").asLong(30);
        String drainText = config.env().get("FLUXFLEET_DRAIN_TIMEOUT_SECONDS");
        assertTrue(drainText != null && drainText.matches("\\d+"),
                overlay + ": FLUXFLEET_DRAIN_TIMEOUT_SECONDS (read by the preStop drain) must be set");
        Duration drain = Duration.ofSeconds(Long.parseLong(drainText));
        assertTrue(shutdownGrace.compareTo(job) >= 0, overlay + ": fluxfleet.shutdown.grace (" + shutdownGrace
                + ") must cover a job in flight (" + job + "), or the worker refuses to start");
        assertTrue(drain.compareTo(job) >= 0, overlay + ": the preStop drain (" + drain
                + ") must wait for a whole job in flight (" + job + ")");
        // After the preStop drain, SIGTERM: the worker's own drain finishes any job taken in the meantime.
        Duration worstCase = drain.plus(shutdownGrace).plus(SHUTDOWN_ALLOWANCE);
        assertTrue(grace >= worstCase.toSeconds(), overlay + ": terminationGracePeriodSeconds " + grace
                + " must cover the preStop drain (" + drain + "), the worker's shutdown grace (" + shutdownGrace
                + ") and the shutdown itself (" + SHUTDOWN_ALLOWANCE + ")");
        long maxAgeMs = Long.parseLong(config.get("mp.messaging.incoming." + Rendered.JOBS_CHANNEL
                + ".throttled.unprocessed-record-max-age.ms").orElse("60000"));
        assertTrue(maxAgeMs > render.toMillis(), overlay + ": the throttled commit's unprocessed-record max age ("
                + maxAgeMs + " ms) must exceed the render timeout, or the worker refuses to start");
        JsonNode preStop = Rendered.container(r.worker(), Rendered.WORKER_CONTAINER).path("lifecycle").path("preStop");
        assertTrue(preStop.path("exec").path("command").size() > 0, overlay + ": the worker needs a draining preStop");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void slotsMatchTheRenderPoolAndTheGpus(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        List<String> slots = List.of(config.require("fluxfleet.slots").split("\\s*,\\s*"));
        for (String lanePool : List.of("render-pool-high", "render-pool", "render-pool-low")) {
            int pool = Integer.parseInt(config.require("smallrye.messaging.worker." + lanePool + ".max-concurrency"));
            assertEquals(slots.size() + 1, pool, overlay + ": " + lanePool + " is one render per slot plus the lane's"
                    + " next job waiting for a turn (the worker checks this at startup)");
        }
        JsonNode container = Rendered.container(r.worker(), Rendered.WORKER_CONTAINER);
        JsonNode limits = container.path("resources").path("limits");
        assertFalse(container.path("resources").path("requests").has("nvidia.com/gpu"),
                "GPUs are requested under limits only");
        int gpus = limits.path("nvidia.com/gpu").asInt(0);
        long cudaSlots = slots.stream().filter(s -> s.startsWith("cuda:")).count();
        assertEquals(gpus, cudaSlots, overlay + ": one cuda slot per GPU the pod gets (slots " + slots + ")");
        assertEquals(slots.size(), new TreeSet<>(slots).size(), "slots are distinct devices");
        for (int i = 0; i < cudaSlots; i++) {
            assertTrue(slots.contains("cuda:" + i), "a pod sees its GPUs as cuda:0..n-1: " + slots);
        }
        JsonNode pod = Rendered.podSpec(r.worker());
        if (gpus > 0) {
            assertEquals("true", pod.path("nodeSelector").path("nvidia.com/gpu.present").asText(null),
                    "GPU pods select GPU nodes");
            boolean tolerated = false;
            for (JsonNode t : pod.path("tolerations")) {
                tolerated |= t.path("key").asText().equals("nvidia.com/gpu")
                        && (t.path("operator").asText().equals("Exists") || t.has("value"));
            }
            assertTrue(tolerated, "GPU pods tolerate the nvidia.com/gpu taint");
        } else {
            assertTrue(slots.stream().allMatch(s -> s.equals("cpu")), overlay + ": no GPU, so cpu slots only");
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void probesReachTheWorker(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        assertEquals("0.0.0.0", config.require("quarkus.http.host"),
                overlay + ": the worker listens on loopback by default; probes and Prometheus need 0.0.0.0");
        JsonNode c = Rendered.container(r.worker(), Rendered.WORKER_CONTAINER);
        int port = -1;
        for (JsonNode p : c.path("ports")) {
            if (p.path("name").asText().equals("http")) {
                port = p.path("containerPort").asInt();
            }
        }
        assertEquals(Integer.parseInt(config.require("quarkus.http.port")), port, "container port 'http'");
        assertEquals("/q/health/ready", Yamls.text(c, "readinessProbe", "httpGet", "path"));
        assertEquals("/q/health/live", Yamls.text(c, "livenessProbe", "httpGet", "path"));
        assertEquals("/q/health/started", Yamls.text(c, "startupProbe", "httpGet", "path"));
        for (String probe : List.of("readinessProbe", "livenessProbe", "startupProbe")) {
            assertEquals("http", Yamls.text(c, probe, "httpGet", "port"), probe + " uses the named port");
        }
        JsonNode startup = c.path("startupProbe");
        long startupBudget = startup.path("periodSeconds").asLong(10) * startup.path("failureThreshold").asLong(3);
        assertTrue(startupBudget >= 600, overlay + ": the startup probe allows only " + startupBudget
                + " s for loading and warming the model");
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theModelDirectoryIsOnTheModelVolume(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        String modelDir = r.workerConfig().require(WorkerConfig.MODEL_DIR);
        JsonNode c = Rendered.container(r.worker(), Rendered.WORKER_CONTAINER);
        JsonNode mount = mountFor(c, modelDir).orElseThrow(() -> new AssertionError(overlay + ": "
                + modelDir + " is on no volume"));
        assertTrue(mount.path("readOnly").asBoolean(false), "the worker mounts its weights read-only");
        JsonNode volume = volume(r.worker(), mount.path("name").asText());
        if (overlay.equals("prod")) {
            assertTrue(volume.has("persistentVolumeClaim"), "prod weights come from a PVC");
        }
        for (JsonNode init : Rendered.podSpec(r.worker()).path("initContainers")) {
            List<String> command = new ArrayList<>();
            init.path("command").forEach(a -> command.add(a.asText()));
            init.path("args").forEach(a -> command.add(a.asText()));
            if (command.contains("tiny-checkpoint")) {
                assertEquals(modelDir, command.get(command.size() - 1),
                        "the initContainer writes the checkpoint where the worker reads it");
                JsonNode initMount = mountFor(init, modelDir).orElseThrow();
                assertEquals(mount.path("name").asText(), initMount.path("name").asText());
                assertFalse(initMount.path("readOnly").asBoolean(false), "the initContainer writes the volume");
                assertTrue(volume.has("emptyDir"), "the tiny checkpoint lives in an emptyDir");
            }
        }
        if (overlay.equals("dev")) {
            assertTrue(Rendered.podSpec(r.worker()).path("initContainers").size() > 0, "dev writes the tiny checkpoint");
        }
    }

    static Optional<JsonNode> mountFor(JsonNode container, String path) {
        JsonNode best = null;
        for (JsonNode m : container.path("volumeMounts")) {
            String mp = m.path("mountPath").asText();
            if ((path.equals(mp) || path.startsWith(mp.endsWith("/") ? mp : mp + "/"))
                    && (best == null || mp.length() > best.path("mountPath").asText().length())) {
                best = m;
            }
        }
        return Optional.ofNullable(best);
    }

    static JsonNode volume(JsonNode workload, String name) {
        for (JsonNode v : Rendered.podSpec(workload).path("volumes")) {
            if (v.path("name").asText().equals(name)) {
                return v;
            }
        }
        throw new AssertionError(Yamls.id(workload) + " has no volume " + name);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyTopicTheWorkerUsesIsDeclared(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        Set<String> used = new TreeSet<>();
        for (String direction : List.of("incoming", "outgoing")) {
            for (String channel : config.channels(direction)) {
                config.get("mp.messaging." + direction + "." + channel + ".topic").ifPresent(used::add);
            }
        }
        config.get("fluxfleet.topics.jobs").ifPresent(used::add);
        config.get("fluxfleet.topics.events").ifPresent(used::add);
        assertFalse(used.isEmpty());
        for (String topic : used) {
            assertTrue(r.kafkaTopic(topic).isPresent(), overlay + ": the worker uses topic " + topic
                    + " but no KafkaTopic declares it (add it to k8s/base/kafka-topics.yaml)");
        }
        for (String required : List.of("fluxfleet.jobs", "fluxfleet.events", "fluxfleet.jobs.retry",
                "fluxfleet.jobs.dlq", "fluxfleet.control", "fluxfleet.attempts")) {
            assertTrue(r.kafkaTopic(required).isPresent(), overlay + ": no KafkaTopic " + required);
        }
        int jobsPartitions = r.kafkaTopic(config.require("mp.messaging.incoming." + Rendered.JOBS_CHANNEL + ".topic"))
                .orElseThrow().path("spec").path("partitions").asInt();
        r.ofKind("KafkaTopic").forEach(t -> {
            String name = Rendered.topicName(t);
            String policy = Yamls.text(t, "spec", "config", "cleanup.policy");
            assertNotEquals(null, policy, name + ": set cleanup.policy explicitly");
            if (name.endsWith(".control") || name.endsWith(".attempts")) {
                assertTrue(policy.contains("compact"), name + " holds keyed state: compact it");
            }
            if (policy.contains("delete")) {
                // A compacted-only topic (the gateway's job state) keeps each key's latest record: no retention.
                assertTrue(Yamls.text(t, "spec", "config", "retention.ms") != null, name + ": set retention.ms");
            }
            int replicas = t.path("spec").path("replicas").asInt();
            String minIsr = Yamls.text(t, "spec", "config", "min.insync.replicas");
            if (minIsr != null) {
                assertTrue(Integer.parseInt(minIsr) <= replicas, name + ": min.insync.replicas above replicas");
            }
            if (name.equals("fluxfleet.attempts") || name.equals("fluxfleet.control") || name.equals("fluxfleet.jobs.retry")) {
                assertEquals(jobsPartitions, t.path("spec").path("partitions").asInt(),
                        name + " is co-partitioned with the jobs topic (same jobId, same partition number)");
            }
        });
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void credentialsOfThePropertiesFileAreReplacedBySecrets(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        WorkerConfig config = r.workerConfig();
        Set<String> credentials = WorkerConfig.credentialProperties();
        assertTrue(credentials.contains("quarkus.minio.secret-key"), "expected the S3 keys among " + credentials);
        for (String property : credentials) {
            assertEquals(WorkerConfig.SECRET, config.raw(property).orElse(null), overlay + ": " + property
                    + " has a development default in application.properties; the pod must set "
                    + WorkerConfig.envName(property) + " from a Secret");
        }
        if (config.get("kafka.security.protocol").orElse("PLAINTEXT").startsWith("SASL")) {
            assertEquals(WorkerConfig.SECRET, config.raw("kafka.sasl.jaas.config").orElse(null),
                    "the SASL login comes from a Secret");
            String truststore = config.require("kafka.ssl.truststore.location");
            JsonNode mount = mountFor(Rendered.container(r.worker(), Rendered.WORKER_CONTAINER), truststore)
                    .orElseThrow(() -> new AssertionError("the truststore " + truststore + " is on no volume"));
            assertTrue(volume(r.worker(), mount.path("name").asText()).has("secret"), "the Kafka CA comes from a Secret");
            JsonNode meta = kafkaTrigger(r).path("metadata");
            assertTrue(meta.path("sasl").asText().startsWith("scram_sha"), "KEDA logs in like the worker");
            assertEquals("enable", meta.path("tls").asText());
            assertTrue(kafkaTrigger(r).has("authenticationRef"), "KEDA needs the credentials too");
            assertEquals(config.require("kafka.sasl.mechanism").toLowerCase().replace("scram-sha-", "scram_sha"), meta.path("sasl").asText(),
                    "the same SASL mechanism for KEDA and the worker");
        }
    }

    @Test
    void prodKafkaUserMayDoWhatTheWorkerDoes() {
        Rendered r = Rendered.overlay("prod");
        WorkerConfig config = r.workerConfig();
        JsonNode user = r.require("KafkaUser", Rendered.WORKER);
        for (String direction : List.of("incoming", "outgoing")) {
            for (String channel : config.channels(direction)) {
                Optional<String> topic = config.get("mp.messaging." + direction + "." + channel + ".topic");
                if (topic.isEmpty()) {
                    continue;
                }
                String op = direction.equals("incoming") ? "Read" : "Write";
                assertTrue(allowed(user, "topic", topic.get(), op), "KafkaUser may not " + op + " " + topic.get());
                if (direction.equals("incoming")) {
                    String group = config.require("mp.messaging.incoming." + channel + ".group.id");
                    assertTrue(allowed(user, "group", group, "Read"), "KafkaUser may not join group " + group);
                }
            }
        }
    }

    static boolean allowed(JsonNode user, String type, String name, String operation) {
        for (JsonNode acl : user.path("spec").path("authorization").path("acls")) {
            JsonNode res = acl.path("resource");
            boolean nameMatches = res.path("patternType").asText("literal").equals("prefix")
                    ? name.startsWith(res.path("name").asText()) : name.equals(res.path("name").asText());
            boolean opMatches = false;
            for (JsonNode op : acl.path("operations")) {
                opMatches |= op.asText().equals(operation) || op.asText().equals("All");
            }
            if (res.path("type").asText().equals(type) && nameMatches && opMatches) {
                return true;
            }
        }
        return false;
    }
}
