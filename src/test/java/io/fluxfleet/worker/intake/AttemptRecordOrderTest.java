package io.fluxfleet.worker.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetStackResource;
import io.fluxfleet.worker.KafkaClients;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * What the attempts topic must show, read back from the real broker:
 * <ul>
 * <li>a dead-lettered job's handled marker lands before its start is cleared, so a worker that holds the same
 * record after a rebalance, and waits on that start's lease, finds the marker when the lease goes (the fault
 * suite's run of 15:06Z saw the bucket poison started on a second worker in that gap);</li>
 * <li>closing the writer at shutdown still sends the records already queued (a marker whose job was already
 * acknowledged), instead of dropping them.</li>
 * </ul>
 * Mutation checks: clearing the starts before writing the marker in {@code Outcomes.deadLettered} fails the
 * first test; {@code AttemptRecords.close} as {@code shutdownNow} again fails the second.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class AttemptRecordOrderTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Test
    void aDeadLetteredJobsHandledMarkerLandsBeforeItsStartIsCleared() throws Exception {
        String jobId = "marker-first-" + UUID.randomUUID().toString().substring(0, 8);
        String job = "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"width\": 64, \"height\": 64, \"steps\": 1,"
                + " \"acceleration\": \"none\", \"output\": {\"bucket\": \"other-renders\"}}"; // STORAGE_REJECTED
        kafka.producer().send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, jobId, job.getBytes(StandardCharsets.UTF_8)))
                .get();
        String own = jobId + "/" + FleetStackResource.WORKER_ID;
        List<String> records = read(jobId, r -> r.key().equals(own) && r.value() == null);
        int marker = records.indexOf(jobId + "/" + AttemptEntries.HANDLED);
        int cleared = records.lastIndexOf(own + " (tombstone)");
        assertTrue(marker >= 0 && cleared > marker, "the marker must land before the start is cleared: " + records);
    }

    @Test
    void closingSendsTheRecordsAlreadyQueued() throws Exception {
        String run = "close-" + UUID.randomUUID().toString().substring(0, 8);
        AttemptRecords records = new AttemptRecords(kafka, config.topics().attempts(), Duration.ofSeconds(10));
        int n = 300;
        for (int i = 0; i < n; i++) {
            records.send(run, run + "/w" + i, "{\"open\": 0}".getBytes(StandardCharsets.UTF_8), true);
        }
        records.close();
        kafka.producer().flush();
        assertEquals(n, read(run, r -> r.key().equals(run + "/w" + (n - 1))).size(),
                "records queued before close were dropped");
    }

    /**
     * The attempts records of jobId in partition order ("key" or "key (tombstone)"), read until {@code last}
     * matched one or 60 s passed.
     */
    private List<String> read(String jobId, Predicate<ConsumerRecord<String, byte[]>> last) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
            String topic = config.topics().attempts();
            TopicPartition partition = new TopicPartition(topic,
                    AttemptLog.partitionOf(jobId, consumer.partitionsFor(topic).size()));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && r.key().startsWith(jobId + "/")) {
                        seen.add(r.key() + (r.value() == null ? " (tombstone)" : ""));
                        if (last.test(r)) {
                            return seen;
                        }
                    }
                }
            }
        }
        return seen;
    }
}
