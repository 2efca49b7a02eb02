package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.worker.intake.Attempt;
import io.fluxfleet.worker.intake.AttemptLog;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.worker.intake.JobIntake;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The crash counter when two workers hold the same record after a rebalance and decide at the same
 * moment, against the real broker: the test plays the other worker by writing its attempts entry at
 * the exact point of the race (after this worker checked for a render elsewhere, before it recorded its
 * own start). This is how the production-like suite saw a crash poison started cap + 1 times.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class CrashCounterRaceTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    AttemptLog attempts;

    @Inject
    JobIntake intake;

    @Inject
    FleetConfig config;

    private final ExecutorService worker = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        worker.shutdownNow();
    }

    /**
     * One below the cap, a rival's live start lands just before this worker's: this start gives way (ends
     * again, waits), and once the rival's lease lapses (it crashed too) the job is at the cap and
     * dead-lettered instead of started a cap + 1st time. Mutation check: recordAttempt without the
     * givesWay step (start and go, as before) returned at once, the rival's running start was not
     * counted, and the cap check would have let the job through with cap - 1 crashes (the test failed at
     * "this worker started although the rival's live start came first"). The cap is decided before the
     * start is confirmed, so the dead-lettering worker records no start (the suite's "cap + 1 recorded").
     */
    @Test
    void ofTwoStartsDecidedAtOnceTheLaterGivesWayAndTheCapHolds() throws Exception {
        String jobId = "race-" + UUID.randomUUID();
        int cap = config.reliability().crashLoopCap();
        for (int i = 0; i < cap - 1; i++) {
            writeEntry(jobId, "crashed-" + i, "{\"open\": 1, \"running\": 0, \"renewedAt\": 0}");
        }
        Job job = intake.admit(Delivery.of(jobId, request(jobId), 0, Attempt.FIRST));
        intake.awaitRenderElsewhere(job); // nothing renders it elsewhere yet: the race window opens here
        writeEntry(jobId, "worker-rival", live(1));

        Future<?> recording = worker.submit(() -> {
            intake.recordAttempt(job);
            return null;
        });
        Thread.sleep(3000);
        assertFalse(recording.isDone(), "this worker started although the rival's live start came first");
        assertEquals(cap - 1, attempts.crashes(jobId), "the rival's running start is no crash, ours was withdrawn");

        writeEntry(jobId, "worker-rival", "{\"open\": 1, \"running\": 1, \"renewedAt\": 0}"); // the rival crashed
        ExecutionException refused = assertThrows(ExecutionException.class, () -> recording.get(60, TimeUnit.SECONDS));
        JobFailure failure = assertInstanceOf(JobFailure.class, refused.getCause());
        assertEquals(ErrorCode.CRASH_LOOP, failure.code(), failure.getMessage());
        assertEquals(cap, attempts.crashes(jobId), "the dead-lettering decision recorded no start of its own");
        attempts.forget(jobId);
    }

    /**
     * Both workers hold the same record after a rebalance; this one gives way to the rival's earlier live start,
     * and the rival dead-letters the record (its handled marker, then its start cleared). This worker then finds
     * the marker and starts nothing: no second render and no second dead letter. Mutation check: with the
     * handled check only before the first claim (not again after giving way) this worker started the job.
     */
    @Test
    void aRecordTheRivalDeadLettersWhileThisWorkerGivesWayIsNotStartedAgain() throws Exception {
        String jobId = "race-handled-" + UUID.randomUUID();
        long createTime = System.currentTimeMillis() - 1000;
        Job job = intake.admit(Delivery.of(jobId, request(jobId), createTime, Attempt.FIRST));
        intake.awaitRenderElsewhere(job);
        writeEntry(jobId, "worker-rival", live(1));
        Future<Optional<String>> recording = worker.submit(() -> intake.recordAttempt(job));
        Thread.sleep(3000);
        assertFalse(recording.isDone(), "this worker started although the rival's live start came first");

        writeEntry(jobId, "~handled", "{\"attempt\": 1, \"recordTimestamp\": " + createTime
                + ", \"outcome\": \"dead-lettered\"}");
        writeEntry(jobId, "worker-rival", null);
        assertEquals(Optional.of("dead-lettered"), recording.get(60, TimeUnit.SECONDS));
        assertEquals(0, attempts.crashes(jobId), "this worker recorded a start");
        attempts.forget(jobId);
    }

    /** A rival whose claim or start lands after this worker's claim gives way to it: this worker goes on. */
    @Test
    void aRivalStartThatLandsLaterDoesNotStopThisWorker() throws Exception {
        String jobId = "race-later-" + UUID.randomUUID();
        AttemptLog.Start mine = attempts.claim(jobId, Duration.ofSeconds(30));
        writeEntry(jobId, "worker-rival", "{\"open\": 0, \"running\": 0, \"claims\": 1, \"renewedAt\": "
                + System.currentTimeMillis() + "}");
        assertFalse(attempts.givesWay(mine));
        writeEntry(jobId, "worker-rival-2", live(1));
        assertFalse(attempts.givesWay(mine));
        AttemptLog.Start again = attempts.claim(jobId, Duration.ofSeconds(30));
        assertTrue(attempts.givesWay(again), "a second claim of ours after the rivals' live ones must give way");
        attempts.withdraw(jobId);
        attempts.withdraw(jobId);
        assertEquals(0, attempts.crashes(jobId), "withdrawn claims are no starts, the rivals' live starts no crashes");
        attempts.forget(jobId);
    }

    /**
     * A start that ends while the broker is away (the render ended during a blip): end() returns without
     * waiting for the broker, so the render thread goes on to its outcome (whose publish retries in place),
     * and the record lands once the broker is back: the start is closed, not a crash. Mutation check: end()
     * waiting for its record as before (up to publish-timeout, 30 s) failed at "end() waited for the broker".
     */
    @Test
    void anEndedStartDoesNotWaitForTheBrokerAndLandsWhenItIsBack() throws Exception {
        String jobId = "end-offline-" + UUID.randomUUID();
        attempts.claim(jobId, Duration.ofSeconds(30));
        attempts.confirm(jobId, Duration.ofSeconds(30));
        FleetStackResource.stack().stopKafka();
        try {
            Future<?> ending = worker.submit(() -> attempts.end(jobId));
            assertDoesNotThrow(() -> ending.get(10, TimeUnit.SECONDS), "end() waited for the broker");
        } finally {
            FleetStackResource.stack().startKafka();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (attempts.crashes(jobId) != 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        assertEquals(0, attempts.crashes(jobId), "the ended start's record never landed: it reads as a crash");
        attempts.forget(jobId);
    }

    private static String live(int running) {
        return "{\"open\": " + running + ", \"running\": " + running + ", \"renewedAt\": " + System.currentTimeMillis() + "}";
    }

    private static byte[] request(String jobId) {
        return ("{\"jobId\": \"" + jobId + "\", \"prompt\": \"a race\", \"width\": 64, \"height\": 64, \"steps\": 1,"
                + " \"acceleration\": \"none\"}").getBytes(StandardCharsets.UTF_8);
    }

    /** The attempts entry of workerId for jobId (null: a tombstone), written as that worker does: on the job's partition. */
    private void writeEntry(String jobId, String workerId, String value) throws Exception {
        String topic = config.topics().attempts();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            int partition = AttemptLog.partitionOf(jobId, producer.partitionsFor(topic).size());
            producer.send(new ProducerRecord<>(topic, partition, jobId + "/" + workerId,
                    value == null ? null : value.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
    }
}
