package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import io.quarkus.test.common.http.TestHTTPResource;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A worker whose model takes longer to load than a render may take, a broker that goes away while
 * terminal events are published, and a drain with a job in flight; against the real broker and S3.
 * The last test drains the worker, so the tests run in order.
 */
@QuarkusTest
@TestProfile(ColdStartAndShutdownTest.SlowModel.class)
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ColdStartAndShutdownTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Duration WARM_UP = Duration.ofSeconds(40);
    static final Duration RENDER_TIMEOUT = Duration.ofSeconds(30);

    /** Model load (warm-up) 40 s, longer than the 30 s render timeout; terminal publishes time out after 1 s; 1 progress event unacknowledged at most. */
    public static class SlowModel implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(FaultTriggeringEngine.SLOW_WARM_UP, WARM_UP.toString(),
                    "fluxfleet.render.timeout", RENDER_TIMEOUT.toString(),
                    "fluxfleet.render.publish-timeout", "PT1S",
                    "fluxfleet.reliability.publish-attempts", "25",
                    "fluxfleet.progress.max-unacknowledged", "1");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    SlotPool slots;

    @Inject
    FleetMetrics metrics;

    @Inject
    Drain drain;

    @Inject
    FleetConfig config;

    @TestHTTPResource("/q/health/live")
    URI live;

    private static String job(String jobId, String prompt, int steps) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"" + prompt + "\", \"width\": 64, \"height\": 64,"
                + " \"steps\": " + steps + ", \"seed\": 3, \"acceleration\": \"none\"}";
    }

    /**
     * Mutation check: with the channels not pausable (consumers joining at boot) the group had a member
     * while the model loaded; with the old slot wait bounded by the render timeout every job failed
     * ("no device slot became available") and went to retry.
     */
    @Test
    @Order(1)
    void jobsSentWhileTheModelLoadsCompleteOnceItIsReadyWithoutAFailedAttempt() throws Exception {
        assertFalse(slots.anyReady(), "the model loaded too fast for this test");
        List<String> ids = List.of("cold-" + UUID.randomUUID(), "cold-" + UUID.randomUUID(), "cold-" + UUID.randomUUID());
        Map<String, List<EventRecord>> events;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String id : ids) {
                KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, id, job(id, "cold start", 2));
            }
            while (!slots.anyReady()) {
                int members;
                try {
                    members = admin.describeConsumerGroups(List.of("fluxfleet-workers")).all().get(30, TimeUnit.SECONDS)
                            .get("fluxfleet-workers").members().size();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                        throw e;
                    }
                    members = 0; // no member ever joined
                }
                assertTrue(slots.anyReady() || members == 0, "the worker joined the group before a slot was ready");
                Thread.sleep(500);
            }
            events = KafkaTestClients.awaitTerminal(consumer, Set.copyOf(ids), TIMEOUT);
        }
        for (String id : ids) {
            List<EventRecord> es = events.get(id);
            assertInstanceOf(JobEvent.Completed.class, es.get(es.size() - 1).event(), KafkaTestClients.summary(es));
            assertTrue(es.stream().noneMatch(e -> e.event() instanceof JobEvent.Failed), KafkaTestClients.summary(es));
            assertEquals(1, es.get(es.size() - 1).event().attempt(), "no attempt was spent waiting for the model");
        }
    }

    /**
     * The broker is down when the completed event is published: the publish is repeated in place
     * until it goes through; the job completes and the channel keeps working. Mutation check: with
     * publish-attempts 1 the record was nacked, the jobs channel fail-stopped and the next job never
     * completed. Progress events beyond the bound are dropped meanwhile (the progressDropped assertion).
     * Mutation for that assertion NOT yet confirmed (s24): on the overloaded machine (load ~30) this test
     * failed before it, with and without the bound in ProgressEvents.publish, because the render itself
     * hit the 30 s render timeout at step 2-3 (a pre-existing load sensitivity of this test).
     */
    @Test
    @Order(2)
    void aBrokerBlipDuringTheTerminalPublishIsNotACrash() throws Exception {
        String jobId = "blip-" + UUID.randomUUID();
        List<EventRecord> events = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, job(jobId, "blip [[test:slow]]", 24));
            awaitStarted(consumer, jobId);
            long retriesBefore = metrics.publishRetries();
            long droppedBefore = metrics.progressDropped();
            FleetStackResource.stack().stopKafka();
            try {
                Thread.sleep(10_000); // the render (6 s) ends while the broker is away
            } finally {
                FleetStackResource.stack().startKafka();
            }
            events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            assertInstanceOf(JobEvent.Completed.class, events.get(events.size() - 1).event(), KafkaTestClients.summary(events));
            assertTrue(events.stream().noneMatch(e -> e.event() instanceof JobEvent.Failed), KafkaTestClients.summary(events));
            assertTrue(metrics.publishRetries() > retriesBefore, "the terminal publish was not retried in place");
            // Progress is best effort: beyond max-unacknowledged (1 here) the blip's progress events were dropped.
            assertTrue(metrics.progressDropped() > droppedBefore, "progress events piled up unacknowledged during the blip");
        }
        String next = "after-blip-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, next, job(next, "still working", 2));
            List<EventRecord> es = KafkaTestClients.awaitTerminal(consumer, Set.of(next), TIMEOUT).get(next);
            assertInstanceOf(JobEvent.Completed.class, es.get(es.size() - 1).event(), KafkaTestClients.summary(es));
        }
    }

    /**
     * A job is in flight until its terminal event is acknowledged; the drain's result (the exit code)
     * says whether it finished. The next job, taken and waiting for the slot, is handed back: not committed,
     * and without failing the channel, so liveness stays UP through the drain. Mutation checks: a drain that
     * returned DRAINED without waiting failed the first assertion; one that counted only busy slots returned
     * before the completed event; the hand-back thrown out of the channel (as before HandedBackRecords) kept
     * liveness at 503 for the whole drain; a held record acknowledged at the end was committed.
     */
    @Test
    @Order(3)
    void theDrainWaitsForTheJobInFlightAndItsResultSaysWhetherItFinished() throws Exception {
        String jobId = "drain-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, job(jobId, "drain [[test:slow]]", 24));
            awaitStarted(consumer, jobId);
            // the next job waits in hand for the one slot: the drain hands it back
            String waiting = "drain-waiting-" + UUID.randomUUID();
            RecordMetadata handedBack = producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, waiting, job(waiting, "handed back", 2)
                    .getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            Thread.sleep(2000); // taken, waiting in hand for the slot
            assertEquals(Drain.DRAIN_INCOMPLETE, drain.drain(Duration.ofMillis(300)), "a job was still in flight");
            CompletableFuture<Integer> drained = CompletableFuture.supplyAsync(() -> drain.drain(Duration.ofMinutes(1)));
            List<Integer> liveness = new ArrayList<>();
            while (!drained.isDone()) {
                liveness.add(HTTP.send(HttpRequest.newBuilder(live).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode());
                Thread.sleep(250);
            }
            assertEquals(Drain.DRAINED, drained.get());
            assertTrue(liveness.stream().allMatch(c -> c == 200), "liveness DOWN during the drain (a kubelet would"
                    + " kill the draining worker): " + liveness);
            Thread.sleep(6000); // past the throttled commit interval
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                OffsetAndMetadata committed = admin.listConsumerGroupOffsets(config.pool().group())
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                        .get(new TopicPartition(handedBack.topic(), handedBack.partition()));
                assertTrue(committed == null || committed.offset() <= handedBack.offset(),
                        "the handed-back job was committed: " + committed + " past offset " + handedBack.offset());
            }
            // drained means acknowledged: the completed event is already on the topic
            List<EventRecord> es = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), Duration.ofSeconds(5)).get(jobId);
            assertInstanceOf(JobEvent.Completed.class, es.get(es.size() - 1).event(), KafkaTestClients.summary(es));
        }
    }

    private static void awaitStarted(KafkaConsumer<String, byte[]> consumer, String jobId) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                if (jobId.equals(r.key()) && new String(r.value()).contains("job.started")) {
                    consumer.seekToBeginning(consumer.assignment());
                    return;
                }
            }
        }
        throw new AssertionError("job " + jobId + " never started");
    }
}
