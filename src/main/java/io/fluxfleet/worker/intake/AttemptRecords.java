package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.utils.Utils;
import org.jboss.logging.Logger;

/**
 * Writes the attempts topic for {@link AttemptLog}: every key of one job to the partition the jobId picks,
 * through the shared reliability producer (one producer, one partition: records land in the order sent).
 */
final class AttemptRecords {

    private static final Logger LOG = Logger.getLogger(AttemptRecords.class);

    private final KafkaClients kafka;
    private final String topic;
    private final Duration publishTimeout;
    private volatile int partitions;

    AttemptRecords(KafkaClients kafka, String topic, Duration publishTimeout) {
        this.kafka = kafka;
        this.topic = topic;
        this.publishTimeout = publishTimeout;
    }

    /** The partition of the attempts topic that holds every key of jobId (murmur2 of the jobId, as Kafka's default). */
    static int partitionOf(String jobId, int partitions) {
        return Utils.toPositive(Utils.murmur2(jobId.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /**
     * Sends one record; never throws: a failure (no metadata, producer closed) is a failed future. With
     * {@code background} nobody waits for it (an ended start, a renewal, a withdrawn claim: the caller, often a
     * render thread, must not wait for the broker, and a later record of the same key supersedes this one), so
     * a failure is logged here.
     */
    Future<RecordMetadata> send(String jobId, String key, byte[] value, boolean background) {
        try {
            if (partitions <= 0) {
                partitions = kafka.producer().partitionsFor(topic).size();
            }
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, partitionOf(jobId, partitions), key, value);
            return kafka.producer().send(record, (landed, failure) -> {
                if (failure != null && background) {
                    LOG.warnf("attempts record of %s: %s", jobId, failure.toString());
                }
            });
        } catch (RuntimeException e) {
            if (background) {
                LOG.warnf("attempts record of %s: %s", jobId, e.toString());
            }
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Waits for a record that must land (a claim, a confirmed start), sending the writer's then current state
     * again ({@code resend}) with backoff while the broker does not take it, within {@code budget}.
     *
     * @throws IllegalStateException when the budget runs out
     */
    RecordMetadata awaitRetrying(String jobId, Future<RecordMetadata> sent, Supplier<Future<RecordMetadata>> resend,
            Duration budget) throws InterruptedException {
        long deadline = System.nanoTime() + budget.toNanos();
        long pause = 500;
        while (true) {
            try {
                return sent.get(publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) > deadline) {
                    throw new IllegalStateException("cannot record an attempt of " + jobId + ": " + e, e);
                }
                LOG.warnf("recording an attempt of %s failed, again in %d ms: %s", jobId, pause, e.toString());
                Thread.sleep(pause);
                pause = Math.min(8_000, pause * 2);
                sent = resend.get();
            }
        }
    }
}
