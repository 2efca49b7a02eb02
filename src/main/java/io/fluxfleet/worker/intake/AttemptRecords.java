package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.KafkaClients;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
    private final ExecutorService sender = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fluxfleet-attempt-records");
        t.setDaemon(true);
        return t;
    });

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
     * Sends one record; never blocks and never throws: a failure (no metadata, producer closed) is a failed
     * future. Every record goes through one sender thread, in the order of the calls, so that the records of a
     * key land in the order their states were taken, and so that no caller (a render thread, or one holding
     * {@link AttemptLog}'s lock) waits while the producer blocks for metadata (up to max.block.ms when the
     * broker is away). With {@code background} nobody waits for the record (an ended start, a renewal, a
     * withdrawn claim: a later record of the same key supersedes it), so a failure is logged here.
     */
    Future<RecordMetadata> send(String jobId, String key, byte[] value, boolean background) {
        CompletableFuture<RecordMetadata> landed = new CompletableFuture<>();
        if (background) {
            landed.whenComplete((ok, failure) -> {
                if (failure != null) {
                    LOG.warnf("attempts record of %s: %s", jobId, failure.toString());
                }
            });
        }
        try {
            sender.execute(() -> sendNow(jobId, key, value, landed));
        } catch (RuntimeException e) { // closed
            landed.completeExceptionally(e);
        }
        return landed;
    }

    private void sendNow(String jobId, String key, byte[] value, CompletableFuture<RecordMetadata> landed) {
        try {
            if (partitions <= 0) {
                partitions = kafka.producer().partitionsFor(topic).size();
            }
            kafka.producer().send(new ProducerRecord<>(topic, partitionOf(jobId, partitions), key, value),
                    (metadata, failure) -> {
                        if (failure != null) {
                            landed.completeExceptionally(failure);
                        } else {
                            landed.complete(metadata);
                        }
                    });
        } catch (RuntimeException e) {
            landed.completeExceptionally(e);
        }
    }

    /**
     * Stops the sender after the records already queued went to the producer (an outcome's handled marker, an
     * ended start: the job's ack may already be committed), within the publish timeout; the producer's own
     * close then flushes them.
     */
    void close() {
        sender.shutdown();
        try {
            if (!sender.awaitTermination(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warnf("attempts records still queued after %s at shutdown are dropped", publishTimeout);
                sender.shutdownNow();
            }
        } catch (InterruptedException e) {
            sender.shutdownNow();
            Thread.currentThread().interrupt();
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
