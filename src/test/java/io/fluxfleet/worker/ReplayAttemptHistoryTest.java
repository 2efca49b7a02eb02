package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.fluxfleet.worker.intake.AttemptLog;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A console replay (a job record with the replayed-at header) begins a new attempt history: a job that was
 * dead-lettered as CRASH_LOOP renders again when an operator replays it. The reset happens once per replay:
 * the same replayed record delivered again after its own renders crashed workers is still CRASH_LOOP, so a
 * replay cannot crash the fleet without end.
 *
 * <p>Mutation checks: with the replay marker ignored (every delivery of a replay resets the count) the
 * redelivered replay rendered instead of CRASH_LOOP; without {@code AttemptMarkers.startReplay} in the intake
 * the new replay was dead-lettered as CRASH_LOOP again.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class ReplayAttemptHistoryTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetConfig config;

    @Inject
    AttemptLog attempts;

    @Inject
    FleetMetrics metrics;

    @Test
    void aReplayRendersACrashLoopedJobAgainButARedeliveredReplayKeepsItsCount() throws Exception {
        String jobId = "replayed-" + UUID.randomUUID().toString().substring(0, 8);
        String firstReplay = "2026-11-30T10:00:00Z";
        int cap = config.reliability().crashLoopCap();
        // As the attempts topic looks after the replay of 10:00 was started and its renders took cap workers
        // down: the replay marker of 10:00, and cap open starts whose leases lapsed long ago.
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            int partition = AttemptLog.partitionOf(jobId, producer.partitionsFor(config.topics().attempts()).size());
            for (String[] entry : List.of(new String[] {"/crashed-worker", "{\"open\": " + cap + ", \"renewedAt\": 0}"},
                    new String[] {"/~replay", firstReplay})) {
                producer.send(new ProducerRecord<>(config.topics().attempts(), partition, jobId + entry[0],
                        entry[1].getBytes(StandardCharsets.UTF_8))).get();
            }
        }
        long seen = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (attempts.crashes(jobId) < cap && System.nanoTime() < seen) {
            Thread.sleep(50);
        }
        long rendersBefore = metrics.engineRenders();

        JobEvent redelivered = deliverReplay(jobId, firstReplay);
        assertEquals(ErrorCode.CRASH_LOOP, assertInstanceOf(JobEvent.Failed.class, redelivered).code());
        assertEquals(rendersBefore, metrics.engineRenders(), "the redelivered replay was rendered");

        JobEvent replayedAgain = deliverReplay(jobId, "2026-11-30T10:05:00Z");
        assertInstanceOf(JobEvent.Completed.class, replayedAgain, "the operator's new replay: " + replayedAgain);
        assertTrue(metrics.engineRenders() > rendersBefore);
    }

    /** Sends the job as the console replays it and returns its terminal event. */
    private JobEvent deliverReplay(String jobId, String replayedAt) throws Exception {
        String job = "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"width\": 64, \"height\": 64, \"steps\": 1,"
                + " \"acceleration\": \"none\"}";
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
             KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC)) {
            // Only this delivery's events: the job's earlier terminal event is already on the topic.
            consumer.seekToEnd(consumer.assignment());
            consumer.assignment().forEach(consumer::position);
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, null, jobId,
                    job.getBytes(StandardCharsets.UTF_8), List.of(
                            new RecordHeader(RecordHeaders.H_REPLAYED_AT, replayedAt.getBytes(StandardCharsets.UTF_8)),
                            new RecordHeader(RecordHeaders.H_REPLAYED_BY, "operator-test".getBytes(StandardCharsets.UTF_8)))))
                    .get();
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            return events.get(events.size() - 1).event();
        }
    }
}
