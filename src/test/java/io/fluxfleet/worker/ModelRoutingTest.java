package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.routing.Lane;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The router role and a pool in one application, against the real broker and S3 server. The catalog
 * names two fine-tuned checkpoints: dev-tiny (kind dev, default steps 2), whose pool this application
 * is, and schnell-tiny (kind schnell), whose pool runs elsewhere. Jobs for dev-tiny produced to the
 * common topic reach the lane of their priority in its pool and complete there with the catalog's
 * defaults; a job for schnell-tiny is forwarded to its own pool's topic; a job for schnell (in no
 * catalog entry) and a value that is not a request are rejected by the router, dead-lettered with a
 * failed event, and never reach a pool topic; a schnell-tiny job that lands on dev-tiny's pool anyway
 * is refused by the worker (UNKNOWN_MODEL, by name) before any render.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
@TestProfile(ModelRoutingTest.RouterAndDevPool.class)
class ModelRoutingTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String COMMON = "test.routing.jobs";
    private static final String DEV_POOL = COMMON + ".dev-tiny";
    private static final String SCHNELL_POOL = COMMON + ".schnell-tiny";

    /** A catalog of two custom-named models; this application is dev-tiny's pool and the router. */
    public static class RouterAndDevPool implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path catalog = Files.createTempFile("fluxfleet-models", ".yaml");
                catalog.toFile().deleteOnExit();
                Files.writeString(catalog, """
                        models:
                          dev-tiny: {kind: dev, topic: %s, defaults: {steps: 2, guidance: 2.5}}
                          schnell-tiny: {kind: schnell, topic: %s}
                        """.formatted(DEV_POOL, SCHNELL_POOL));
                // fluxfleet.topics.jobs is the shared stack's (FleetStackResource wins over a profile): the
                // router reads this test's own common lanes, not the other tests' jobs.
                return Map.of("fluxfleet.catalog.file", catalog.toString(),
                        "mp.messaging.incoming.routed-jobs.topics", String.join(",", JobTopics.lanes(COMMON)),
                        "fluxfleet.pool.topic", DEV_POOL,
                        "fluxfleet.pool.group", "routing-test-workers",
                        "fluxfleet.topics.retry", DEV_POOL + ".retry",
                        "mp.messaging.incoming.routed-jobs.enabled", "true");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "fluxfleet.topics.dlq")
    String dlq;

    /**
     * Mutation checks (the first two from before model names; the last two run for this change): with
     * JobTopics.poolTopic falling back to the first catalog entry for a model without a pool, a job no
     * pool serves reached the dev pool's topic and the test failed; with
     * JobTopics.topicFor ignoring the lane (always the pool topic itself), the priority 9 job was found
     * on the dev pool's normal lane and the test failed; with the router's validator left on the
     * built-in models (no withModels in JobRouter), the dev-tiny jobs were rejected as UNKNOWN_MODEL and
     * the test failed; with JobIntake's by-name check (request.model() against the served entry's name)
     * disabled, the misrouted schnell-tiny job rendered on dev-tiny's worker and the test failed.
     */
    @Test
    void routesEachJobToItsPoolsLaneAndRejectsAModelWithoutAPoolAtRouting() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        Map<String, Lane> devJobs = Map.of("route-dev-high-" + run, Lane.HIGH, "route-dev-normal-" + run, Lane.NORMAL,
                "route-dev-low-" + run, Lane.LOW);
        Map<Lane, Integer> priorities = Map.of(Lane.HIGH, 9, Lane.NORMAL, 5, Lane.LOW, 1);
        String schnell = "route-schnell-" + run;
        String garbage = "route-garbage-" + run;
        String schnellTiny = "route-schnell-tiny-" + run;
        String misrouted = "route-misrouted-" + run;
        try (KafkaConsumer<String, byte[]> events = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            for (Map.Entry<String, Lane> job : devJobs.entrySet()) {
                KafkaTestClients.send(producer, COMMON, job.getKey(), request(job.getKey(), "dev-tiny",
                        priorities.get(job.getValue())));
            }
            KafkaTestClients.send(producer, COMMON, schnell, request(schnell, "schnell", 5));
            KafkaTestClients.send(producer, COMMON, schnellTiny, request(schnellTiny, "schnell-tiny", 5));
            producer.send(new ProducerRecord<>(COMMON, garbage, "{not json".getBytes(StandardCharsets.UTF_8))).get();
            // A record for schnell-tiny produced straight to dev-tiny's pool, past the router.
            KafkaTestClients.send(producer, DEV_POOL, misrouted, request(misrouted, "schnell-tiny", 5));

            Set<String> all = new java.util.HashSet<>(devJobs.keySet());
            all.add(schnell);
            all.add(garbage);
            all.add(misrouted);
            Map<String, List<EventRecord>> byJob = KafkaTestClients.awaitTerminal(events, all, TIMEOUT);
            for (String dev : devJobs.keySet()) {
                List<EventRecord> e = byJob.get(dev);
                JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, e.get(e.size() - 1).event(),
                        KafkaTestClients.summary(e));
                assertEquals("dev-tiny", done.model(), "the event names the catalog model");
                assertEquals(ModelKind.DEV, done.modelKind(), "and records its kind");
                assertEquals(2, done.steps(), dev + ": the catalog's default steps (the job named none)");
            }
            JobEvent.Failed unknown = assertRejected(byJob.get(schnell), ErrorCode.UNKNOWN_MODEL);
            assertTrue(unknown.message().contains("dev-tiny, schnell-tiny"), "names the known models: " + unknown.message());
            assertRejected(byJob.get(garbage), ErrorCode.INVALID_JSON);
            JobEvent.Failed refused = assertRejected(byJob.get(misrouted), ErrorCode.UNKNOWN_MODEL);
            assertTrue(refused.message().contains("it serves 'dev-tiny'"), refused.message());

            Map<String, String> onPoolLanes = keysOn(JobTopics.lanes(DEV_POOL));
            devJobs.forEach((id, lane) -> assertEquals(lane.topicOf(DEV_POOL), onPoolLanes.get(id),
                    id + " must be forwarded to the dev-tiny pool's " + lane.wireName() + " lane"));
            assertFalse(onPoolLanes.containsKey(schnell), "a job no pool serves never reaches a pool topic");
            assertFalse(onPoolLanes.containsKey(garbage), "an invalid value never reaches a pool topic");
            assertFalse(onPoolLanes.containsKey(schnellTiny), "schnell-tiny's job never reaches dev-tiny's pool");
            assertEquals(SCHNELL_POOL, keysOn(JobTopics.lanes(SCHNELL_POOL)).get(schnellTiny),
                    "schnell-tiny's job is forwarded to its own pool's normal lane");
            Map<String, String> dead = keysOn(List.of(dlq));
            assertTrue(dead.containsKey(schnell) && dead.containsKey(garbage), "both rejections are dead-lettered");
        }
    }

    private static JobEvent.Failed assertRejected(List<EventRecord> events, ErrorCode code) {
        assertEquals(1, events.size(), "one failed event and nothing else (no started: no GPU involved): "
                + KafkaTestClients.summary(events));
        JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, events.get(0).event());
        assertEquals(code, failed.code(), failed.message());
        assertFalse(failed.retryable());
        return failed;
    }

    /** No steps and no guidance: the catalog's defaults apply. */
    private static String request(String jobId, String model, int priority) {
        return """
                {"jobId": "%s", "prompt": "routing", "width": 64, "height": 64, "seed": 3,
                 "acceleration": "none", "model": "%s", "priority": %d}""".formatted(jobId, model, priority);
    }

    /** jobId -> topic of every record on these topics so far. */
    private Map<String, String> keysOn(List<String> topics) {
        Map<String, String> out = new HashMap<>();
        for (String topic : topics) {
            try (KafkaConsumer<String, byte[]> c = KafkaTestClients.eventsConsumer(bootstrap, topic)) {
                Map<TopicPartition, Long> end = c.endOffsets(c.assignment());
                while (end.entrySet().stream().anyMatch(e -> c.position(e.getKey()) < e.getValue())) {
                    c.poll(Duration.ofMillis(200)).forEach(r -> out.put(r.key(), r.topic()));
                }
            }
        }
        return out;
    }
}
