package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Retries that scale (docs/reliability.md, "Retry topic"): a retry record waiting for its not-before
 * time pauses its partition instead of holding a thread, and due retries on other partitions run side
 * by side up to the slot count. A worker of its own with two slots.
 */
@QuarkusTest
@TestProfile(RetryScheduleTest.TwoSlots.class)
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class RetryScheduleTest {

    /** Two device slots (two replicas of the tiny model on the CPU): two retries may run at once. */
    public static class TwoSlots implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            // each lane's pool: one thread per slot plus one waiting for the next turn (StartupChecks)
            return Map.of("fluxfleet.slots", "cpu,cpu", "smallrye.messaging.worker.render-pool.max-concurrency", "3",
                    "smallrye.messaging.worker.render-pool-high.max-concurrency", "3",
                    "smallrye.messaging.worker.render-pool-low.max-concurrency", "3");
        }
    }

    private static final long WAIT_MS = 30_000;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetConfig config;

    /**
     * Two retries not due for 30 s sit at the head of two partitions (as many as the slots: a worker that
     * waited by sleeping would hold every retry thread), then two due slow retries arrive on the other two
     * partitions. Mutation check: RetryIntake handing a not-yet-due record to the pool, which slept until its
     * not-before time (a sleep-based wait, two threads), failed the first assertion (the due retries completed
     * 12 s after the waiting ones' time). Single flight (slots() returning 1) should fail the second
     * assertion: not run yet.
     */
    @Test
    void aRetryWaitingForItsTimeHoldsNoThreadAndDueRetriesRunSideBySide() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String waitingA = "retry-wait-a-" + run;
        String waitingB = "retry-wait-b-" + run;
        String dueA = "retry-due-a-" + run;
        String dueB = "retry-due-b-" + run;
        Map<String, List<EventRecord>> events;
        long notBefore = System.currentTimeMillis() + WAIT_MS;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            sendRetry(producer, 0, waitingA, notBefore);
            sendRetry(producer, 1, waitingB, notBefore);
            Thread.sleep(3000); // both fetched by now
            sendRetry(producer, 2, dueA, 0);
            sendRetry(producer, 3, dueB, 0);
            events = KafkaTestClients.awaitTerminal(consumer, Set.of(waitingA, waitingB, dueA, dueB), Duration.ofMinutes(3));
        }
        for (String due : List.of(dueA, dueB)) {
            Instant completed = event(events, due, JobEvent.Completed.class).timestamp();
            assertTrue(completed.toEpochMilli() < notBefore, due + " completed at " + completed
                    + ", after the waiting retries' not-before time " + Instant.ofEpochMilli(notBefore)
                    + ": a waiting retry held the thread");
        }
        Instant startedA = event(events, dueA, JobEvent.Started.class).timestamp();
        Instant startedB = event(events, dueB, JobEvent.Started.class).timestamp();
        assertTrue(startedA.isBefore(event(events, dueB, JobEvent.Completed.class).timestamp())
                && startedB.isBefore(event(events, dueA, JobEvent.Completed.class).timestamp()),
                "the two due retries did not render side by side: " + events.get(dueA) + " " + events.get(dueB));
        for (String waiting : List.of(waitingA, waitingB)) {
            Instant started = event(events, waiting, JobEvent.Started.class).timestamp();
            assertTrue(started.toEpochMilli() >= notBefore, waiting + " started at " + started + " before its not-before time");
        }
    }

    private static <T extends JobEvent> T event(Map<String, List<EventRecord>> events, String jobId, Class<T> type) {
        return type.cast(events.get(jobId).stream().map(EventRecord::event).filter(type::isInstance).findFirst()
                .orElseThrow(() -> new AssertionError(jobId + ": no " + type.getSimpleName() + " in "
                        + KafkaTestClients.summary(events.get(jobId)))));
    }

    /** A retry record as Outcomes writes it: the request unchanged, attempt 2, the not-before time. */
    private void sendRetry(KafkaProducer<String, byte[]> producer, int partition, String jobId, long notBefore) throws Exception {
        String request = "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a retry [[test:slow]]\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 12, \"seed\": 3, \"acceleration\": \"none\"}";
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().retry(), partition, jobId,
                request.getBytes(StandardCharsets.UTF_8));
        r.headers().add(new RecordHeader(RecordHeaders.H_ATTEMPT, "2".getBytes(StandardCharsets.UTF_8)));
        r.headers().add(new RecordHeader(RecordHeaders.H_NOT_BEFORE, Long.toString(notBefore).getBytes(StandardCharsets.UTF_8)));
        r.headers().add(new RecordHeader(RecordHeaders.H_FIRST_FAILURE, Instant.now().toString().getBytes(StandardCharsets.UTF_8)));
        r.headers().add(new RecordHeader(RecordHeaders.H_ERRORS, "[]".getBytes(StandardCharsets.UTF_8)));
        producer.send(r).get(30, TimeUnit.SECONDS);
    }
}
