package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Poison guards against the real broker and S3 server: a near-1 MiB request is dead-lettered with a bounded
 * copy of itself (the DLQ record stays far below the producer's 1 MiB limit), a retry record with an
 * unreadable header is a rejected record, not an exception that stops the retry channel, and a job whose
 * bucket does not exist is dead-lettered at once with STORAGE_REJECTED naming bucket and key. After each,
 * a valid job on the same channel still completes.
 *
 * <p>Mutation checks: copying the whole request into the DLQ header (no cut) fails the first test (the DLQ
 * send fails, the channel stops and the follow-up job never completes); parsing the first-failure header
 * with a bare Instant.parse again fails the second; Uploads retrying permanent errors and ResultStore
 * mapping every StorageException to STORAGE_FAILED fails the third (a retryable failure, a retry record);
 * clearing the crash count after CRASH_LOOP again (attempts.forget for every terminal failure) fails the fourth.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class PoisonGuardsTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetConfig config;

    @Inject
    io.fluxfleet.worker.intake.AttemptLog attempts;

    @Inject
    FleetMetrics metrics;

    @Test
    void aNearOneMebibyteRequestIsDeadLetteredWithABoundedCopy() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String huge = "huge-" + run;
        String value = "{\"jobId\": \"" + huge + "\", \"prompt\": \"" + "x".repeat(1_000_000) + "\"}";
        try (KafkaProducer<String, byte[]> producer = largeProducer()) {
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, huge, value.getBytes(StandardCharsets.UTF_8))).get();
        }
        Map<String, String> dlq = dlq(huge);
        assertEquals("REQUEST_TOO_LARGE", dlq.get(RecordHeaders.H_REASON));
        assertEquals(String.valueOf(value.length()), dlq.get(RecordHeaders.H_REQUEST_BYTES));
        assertEquals("true", dlq.get(RecordHeaders.H_REQUEST_TRUNCATED));
        assertTrue(dlq.get(RecordHeaders.H_REQUEST).length() <= 8 * 1024, "request copy of " + dlq.get(RecordHeaders.H_REQUEST).length());
        assertTrue(value.startsWith(dlq.get(RecordHeaders.H_REQUEST)), "the copy is the request's first bytes");
        assertTrue(Integer.parseInt(dlq.get("record-bytes")) < 64 * 1024, "DLQ record of " + dlq.get("record-bytes") + " bytes");
        assertCompletes("after-huge-" + run, FleetStackResource.JOBS_TOPIC, List.of());
    }

    @Test
    void aRetryRecordWithAnUnreadableHeaderIsRejectedAndTheChannelGoesOn() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String bad = "bad-header-" + run;
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
             KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC)) {
            producer.send(new ProducerRecord<>(config.topics().retry(), null, bad, job(bad).getBytes(StandardCharsets.UTF_8),
                    List.of(new RecordHeader(RecordHeaders.H_ATTEMPT, "2".getBytes(StandardCharsets.UTF_8)),
                            new RecordHeader(RecordHeaders.H_FIRST_FAILURE, "yesterday-ish".getBytes(StandardCharsets.UTF_8))))).get();
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(bad), TIMEOUT).get(bad);
            JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, events.get(events.size() - 1).event());
            assertEquals(ErrorCode.INVALID_FIELD, failed.code());
            assertFalse(failed.retryable());
            assertTrue(failed.message().contains(RecordHeaders.H_FIRST_FAILURE), failed.message());
        }
        assertEquals("INVALID_FIELD", dlq(bad).get(RecordHeaders.H_REASON));
        // The retry channel still takes records: a well-formed retry completes.
        assertCompletes("good-retry-" + run, config.topics().retry(),
                List.of(new RecordHeader(RecordHeaders.H_ATTEMPT, "2".getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aMissingBucketIsRejectedAtOnceWithBucketAndKey() throws Exception {
        String jobId = "no-bucket-" + UUID.randomUUID().toString().substring(0, 8);
        String value = "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"width\": 64, \"height\": 64, \"steps\": 1,"
                + " \"acceleration\": \"none\", \"output\": {\"bucket\": \"other-renders\"}}";
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
             KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, value);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            List<JobEvent.Failed> failures = events.stream().map(EventRecord::event)
                    .filter(JobEvent.Failed.class::isInstance).map(JobEvent.Failed.class::cast).toList();
            assertEquals(1, failures.size(), "one failed event, no retry: " + KafkaTestClients.summary(events));
            JobEvent.Failed failed = failures.get(0);
            assertEquals(ErrorCode.STORAGE_REJECTED, failed.code(), failed.message());
            assertFalse(failed.retryable());
            assertEquals(1, failed.attempt());
            assertTrue(failed.message().contains("s3://other-renders/") && failed.message().contains(jobId), failed.message());
            assertTrue(failed.message().contains("NoSuchBucket"), failed.message());
        }
        assertEquals("STORAGE_REJECTED", dlq(jobId).get(RecordHeaders.H_REASON));
    }

    @Test
    void aCrashLoopedJobKeepsItsCountSoARedeliveryIsNotRenderedAgain() throws Exception {
        String jobId = "crashloop-kept-" + UUID.randomUUID().toString().substring(0, 8);
        int cap = config.reliability().crashLoopCap();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            // As a crashed worker leaves it: cap starts open, the lease long lapsed.
            KafkaTestClients.send(producer, config.topics().attempts(), jobId + "/crashed-worker",
                    "{\"open\": " + cap + ", \"renewedAt\": 0}");
        }
        long seen = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (attempts.crashes(jobId) < cap && System.nanoTime() < seen) {
            Thread.sleep(50);
        }
        long rendersBefore = metrics.engineRenders();
        // The first delivery is dead-lettered; the second stands for its redelivery after the dead-lettering
        // worker died before committing (a rollout): it must not render the poison again.
        for (int delivery = 1; delivery <= 2; delivery++) {
            try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
                 KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC)) {
                KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, job(jobId));
                List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
                JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, events.get(events.size() - 1).event(),
                        "delivery " + delivery + ": " + KafkaTestClients.summary(events));
                assertEquals(ErrorCode.CRASH_LOOP, failed.code());
            }
            Thread.sleep(1000);
            assertTrue(attempts.crashes(jobId) >= cap, "the crash count was cleared after CRASH_LOOP");
        }
        assertEquals(rendersBefore, metrics.engineRenders(), "a crash-looped job was rendered again");
    }

    /**
     * A record dead-lettered once and delivered again (its partition moved before the commit: here the same
     * record, same attempt and CreateTime, produced again) is acknowledged without a second render or dead
     * letter; a replay (a new record of the same request) is handled again. The suite saw the bucket poison
     * started and dead-lettered twice after a rebalance. Mutation check: without the handled marker (the
     * check in RenderOrchestrator removed) the redelivery rendered again and a second DLQ record appeared.
     */
    @Test
    void aRedeliveredDeadLetteredRecordIsNotHandledAgainButAReplayIs() throws Exception {
        String jobId = "redelivered-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] value = ("{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 1, \"acceleration\": \"none\", \"output\": {\"bucket\": \"other-renders\"}}")
                .getBytes(StandardCharsets.UTF_8);
        long createTime = System.currentTimeMillis();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, null, createTime, jobId, value)).get();
            awaitDeadLetters(jobId, 1);
            long rendersBefore = metrics.engineRenders();
            long duplicatesBefore = metrics.duplicateDeliveries();
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, null, createTime, jobId, value)).get();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (metrics.duplicateDeliveries() == duplicatesBefore && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            assertEquals(duplicatesBefore + 1, metrics.duplicateDeliveries(), "the redelivery was not recognised");
            assertEquals(rendersBefore, metrics.engineRenders(), "the redelivered record was rendered again");
            assertEquals(1, deadLetters(jobId), "the redelivered record was dead-lettered again");
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, null, createTime + 1, jobId, value)).get();
            awaitDeadLetters(jobId, 2); // the replay is a new record: handled
        }
    }

    private void awaitDeadLetters(String key, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (deadLetters(key) < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(key + ": fewer than " + n + " DLQ records within " + TIMEOUT);
            }
            Thread.sleep(500);
        }
    }

    /** How many DLQ records key has, reading the DLQ topic to its end. */
    private int deadLetters(String key) {
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, config.topics().dlq())) {
            Map<org.apache.kafka.common.TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
            int n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        n++;
                    }
                }
            }
            return n;
        }
    }

    private void assertCompletes(String jobId, String topic, List<Header> headers) throws Exception {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap);
             KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC)) {
            producer.send(new ProducerRecord<>(topic, null, jobId, job(jobId).getBytes(StandardCharsets.UTF_8), headers)).get();
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            assertInstanceOf(JobEvent.Completed.class, events.get(events.size() - 1).event(), KafkaTestClients.summary(events));
        }
    }

    private static String job(String jobId) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"width\": 64, \"height\": 64, \"steps\": 1,"
                + " \"acceleration\": \"none\"}";
    }

    private KafkaProducer<String, byte[]> largeProducer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_040_000);
        return new KafkaProducer<>(p);
    }

    /** The DLQ record of key: headers as strings, plus its size as "record-bytes". */
    private Map<String, String> dlq(String key) {
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, config.topics().dlq())) {
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        Map<String, String> h = new HashMap<>();
                        int bytes = r.serializedKeySize() + r.serializedValueSize();
                        for (Header header : r.headers()) {
                            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                            bytes += header.key().length() + header.value().length;
                        }
                        h.put("record-bytes", String.valueOf(bytes));
                        return h;
                    }
                }
            }
        }
        throw new AssertionError("no DLQ record for " + key);
    }
}
