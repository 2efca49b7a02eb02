package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.fluxfleet.worker.intake.AttemptLog;
import io.fluxfleet.worker.intake.CancelRequests;
import io.fluxfleet.worker.render.EngineFailures;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The reliability rules against the real broker and S3 server (docs/reliability.md): retries and
 * dead letters, idempotent redelivery, cancellation, crash-loop cap, storage outage, GPU OOM and
 * device errors (through the test-only fault triggers that FleetStackResource enables).
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class ReliabilityTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetMetrics metrics;

    @Inject
    CancelRequests cancels;

    @Inject
    AttemptLog attempts;

    @Inject
    FleetConfig config;

    @Inject
    SlotPool slots;

    @TestHTTPResource("/q/health/live")
    URL live;

    private static String job(String jobId, String prompt, String extra) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"" + prompt + "\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 2, \"seed\": 7, \"acceleration\": \"none\"" + extra + "}";
    }

    private List<EventRecord> run(String jobId, String value) throws Exception {
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, value);
            return KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
        }
    }

    /** The DLQ record of key (headers as strings), waiting up to 60 s. */
    private Map<String, String> dlq(String key) {
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, config.topics().dlq())) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        Map<String, String> h = new HashMap<>();
                        for (Header header : r.headers()) {
                            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                        }
                        h.put("value", r.value() == null ? "" : new String(r.value(), StandardCharsets.UTF_8));
                        return h;
                    }
                }
            }
        }
        throw new AssertionError("no DLQ record for " + key);
    }

    private static JobEvent last(List<EventRecord> events) {
        return events.get(events.size() - 1).event();
    }

    @Test
    void outOfMemoryRetriesInPlaceThenViaTheRetryTopicThenDeadLetters() throws Exception {
        assertTrue(slots.awaitModelOpen(Duration.ofMinutes(2)));
        String jobId = "oom-" + UUID.randomUUID();
        long before = metrics.engineRenders();
        List<EventRecord> events = run(jobId, job(jobId, "a cat [[test:oom]]", ""));
        List<JobEvent.Failed> failed = events.stream().map(EventRecord::event).filter(JobEvent.Failed.class::isInstance)
                .map(JobEvent.Failed.class::cast).toList();
        assertEquals(3, failed.size(), KafkaTestClients.summary(events));
        for (int i = 0; i < 2; i++) {
            assertTrue(failed.get(i).retryable(), "attempt " + (i + 1) + " is retried");
            assertEquals(ErrorCode.RENDER_FAILED, failed.get(i).code());
            assertEquals(i + 1, failed.get(i).attempt());
            assertTrue(failed.get(i).message().contains("OUT_OF_MEMORY"), failed.get(i).message());
        }
        JobEvent.Failed exhausted = failed.get(2);
        assertFalse(exhausted.retryable());
        assertEquals(ErrorCode.RETRIES_EXHAUSTED, exhausted.code());
        assertEquals(3, exhausted.attempt());
        assertEquals(3, exhausted.errors().size());
        assertEquals(List.of(1, 2, 3), exhausted.errors().stream().map(JobEvent.AttemptError::attempt).toList());
        // one in-place retry per attempt: 2 engine renders per attempt
        assertEquals(6, metrics.engineRenders() - before);

        Map<String, String> dlq = dlq(jobId);
        assertEquals("RETRIES_EXHAUSTED", dlq.get(RecordHeaders.H_REASON));
        assertEquals("3", dlq.get(RecordHeaders.H_ATTEMPT));
        assertEquals(3, JSON.readTree(dlq.get(RecordHeaders.H_ERRORS)).size());
        assertTrue(dlq.get(RecordHeaders.H_REQUEST).contains("[[test:oom]]"), "the DLQ record carries the request");
        JobEvent.Failed value = (JobEvent.Failed) io.fluxfleet.job.JobJson.readEvent(
                dlq.get("value").getBytes(StandardCharsets.UTF_8));
        assertEquals(ErrorCode.RETRIES_EXHAUSTED, value.code(), "the DLQ value is the terminal failed event");
        assertEquals(3, value.errors().size());
        assertTrue(dlq.containsKey(RecordHeaders.H_FIRST_FAILURE));
    }

    @Test
    void permanentFailuresGoStraightToTheDeadLetterTopic() throws Exception {
        String key = "poison-" + UUID.randomUUID();
        List<EventRecord> events = run(key, "{not json");
        JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, last(events));
        assertEquals(ErrorCode.INVALID_JSON, failed.code());
        assertFalse(failed.retryable());
        assertEquals(1, events.size(), KafkaTestClients.summary(events));
        Map<String, String> dlq = dlq(key);
        assertEquals("INVALID_JSON", dlq.get(RecordHeaders.H_REASON));
        assertEquals("1", dlq.get(RecordHeaders.H_ATTEMPT));
        assertEquals("{not json", dlq.get(RecordHeaders.H_REQUEST), "the original bytes travel in a header");
        JobEvent.Failed value = (JobEvent.Failed) io.fluxfleet.job.JobJson.readEvent(
                dlq.get("value").getBytes(StandardCharsets.UTF_8));
        assertEquals(ErrorCode.INVALID_JSON, value.code(), "the DLQ value is the terminal failed event");
    }

    @Test
    void aRedeliveredCompletedJobIsAnsweredFromItsSidecarWithoutRendering() throws Exception {
        String jobId = "idem-" + UUID.randomUUID();
        String request = job(jobId, "a quiet harbour", "");
        JobEvent.Completed first = assertInstanceOf(JobEvent.Completed.class, last(run(jobId, request)));
        long before = metrics.engineRenders();
        List<EventRecord> again = new java.util.ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            do {
                again.addAll(KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId).stream()
                        .filter(e -> e.event() instanceof JobEvent.Completed).toList());
            } while (again.size() < 2 && System.nanoTime() < deadline);
        }
        JobEvent.Completed second = (JobEvent.Completed) again.get(again.size() - 1).event();
        assertEquals(before, metrics.engineRenders(), "the second delivery was rendered again");
        assertEquals(first.key(), second.key());
        assertEquals(first.sha256(), second.sha256());
        assertEquals(first.bytes(), second.bytes());
        assertEquals(first.seed(), second.seed());
        assertEquals(first.tokenEvaluations(), second.tokenEvaluations());
    }

    @Test
    void aQueuedJobCancelledBeforePickupIsSkipped() throws Exception {
        assertTrue(slots.awaitModelOpen(Duration.ofMinutes(2)));
        String jobId = "cancel-q-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, config.topics().control(), jobId, "{\"type\":\"cancel\"}");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!cancels.isCancelled(jobId) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertTrue(cancels.isCancelled(jobId), "the cancel request was not read");
        long before = metrics.engineRenders();
        List<EventRecord> events = run(jobId, job(jobId, "never drawn", ""));
        assertEquals(1, events.size(), KafkaTestClients.summary(events));
        assertEquals(ErrorCode.CANCELLED, ((JobEvent.Failed) last(events)).code());
        assertEquals(before, metrics.engineRenders());
        assertEquals("CANCELLED", dlq(jobId).get(RecordHeaders.H_REASON));
    }

    @Test
    void aRunningJobStopsAtTheNextStepWhenCancelled() throws Exception {
        String jobId = "cancel-r-" + UUID.randomUUID();
        List<EventRecord> events = new java.util.ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId,
                    job(jobId, "slow [[test:slow]]", "").replace("\"steps\": 2", "\"steps\": 40"));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            boolean progressed = false;
            while (!progressed && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    if (jobId.equals(r.key()) && new String(r.value(), StandardCharsets.UTF_8).contains("progress")) {
                        progressed = true;
                    }
                }
            }
            assertTrue(progressed, "no progress event");
            KafkaTestClients.send(producer, config.topics().control(), jobId, "{\"type\":\"cancel\"}");
            consumer.seekToBeginning(consumer.assignment());
            events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
        }
        JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, last(events), KafkaTestClients.summary(events));
        assertEquals(ErrorCode.CANCELLED, failed.code());
        long progress = events.stream().filter(e -> e.event() instanceof JobEvent.Progress).count();
        assertTrue(progress < 40, "stopped before the end: " + progress + " steps");
    }

    @Test
    void aJobThatCrashedWorkersTooOftenIsDeadLetteredWithoutRendering() throws Exception {
        assertTrue(slots.awaitModelOpen(Duration.ofMinutes(2)));
        String jobId = "crashloop-" + UUID.randomUUID();
        // as a crashed worker leaves it: cap renders started, none ended, the lease long lapsed
        writeAttemptsEntry(jobId, "crashed-worker", config.reliability().crashLoopCap(), 0);
        assertEquals(config.reliability().crashLoopCap(), attempts.crashes(jobId));
        long before = metrics.engineRenders();
        List<EventRecord> events = run(jobId, job(jobId, "a poison", ""));
        JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, last(events), KafkaTestClients.summary(events));
        assertEquals(ErrorCode.CRASH_LOOP, failed.code());
        assertEquals(before, metrics.engineRenders());
        assertEquals("CRASH_LOOP", dlq(jobId).get(RecordHeaders.H_REASON));
    }

    @Test
    void anUploadFailingWhileStorageIsDownIsRetriedInPlaceWithoutRenderingAgain() throws Exception {
        assertTrue(slots.awaitModelOpen(Duration.ofMinutes(2)));
        String jobId = "s3down-" + UUID.randomUUID();
        long before = metrics.engineRenders();
        List<EventRecord> events;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            FleetStackResource.stack().stopS3();
            try {
                KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, job(jobId, "stored later", ""));
                Thread.sleep(4000);
            } finally {
                FleetStackResource.stack().startS3();
            }
            events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
        }
        assertInstanceOf(JobEvent.Completed.class, last(events), KafkaTestClients.summary(events));
        assertTrue(events.stream().noneMatch(e -> e.event() instanceof JobEvent.Failed), KafkaTestClients.summary(events));
        assertEquals(1, metrics.engineRenders() - before, "rendered once; only the upload was retried");
    }

    /** An entry of the attempts topic as worker workerId writes it: open starts and the lease's last renewal. */
    private void writeAttemptsEntry(String jobId, String workerId, int open, long renewedAtMs) throws Exception {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, config.topics().attempts(), jobId + "/" + workerId,
                    "{\"open\": " + open + ", \"renewedAt\": " + renewedAtMs + "}");
        }
    }
}
