package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.KafkaClients;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * Reads every partition of a topic from the beginning on its own thread (no consumer group) and
 * hands each record to a sink; {@link #caughtUp()} turns true once it has read up to the end
 * offsets it found at start. Reconnects after errors.
 */
final class TopicView {

    private static final Logger LOG = Logger.getLogger(TopicView.class);

    private final String topic;
    private final Consumer<ConsumerRecord<String, byte[]>> sink;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean caughtUp;
    /** Catch-up requests: the reader reads up to the end offsets as of each request, then answers it. */
    private final AtomicLong syncRequested = new AtomicLong();
    private volatile long syncAnswered;
    /** The reader's position per partition: every record below it has gone to the sink. */
    private final Map<Integer, Long> positions = new java.util.concurrent.ConcurrentHashMap<>();

    TopicView(KafkaClients kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> sink) {
        this.topic = topic;
        this.sink = sink;
        this.thread = new Thread(() -> run(kafka), "fluxfleet-view-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    boolean caughtUp() {
        return caughtUp;
    }

    /** Waits up to timeout for the initial catch-up; true when caught up. */
    boolean awaitCaughtUp(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!caughtUp && System.nanoTime() < deadline) {
            sleep(20);
        }
        return caughtUp;
    }

    /**
     * Waits until the view has read everything written to the topic before this call (its end
     * offsets now); false after timeout.
     */
    boolean sync(Duration timeout) {
        long request = syncRequested.incrementAndGet();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (syncAnswered < request && System.nanoTime() < deadline) {
            sleep(5);
        }
        return syncAnswered >= request;
    }

    /**
     * Waits until the view has handed the record at {@code offset} of {@code partition} to the sink (and
     * every record before it there); false after timeout. Unlike {@link #sync}, this does not depend on
     * the end offsets the broker reports, which may lag just after a leader change.
     */
    boolean awaitRead(int partition, long offset, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (positions.getOrDefault(partition, -1L) <= offset && System.nanoTime() < deadline) {
            sleep(5);
        }
        return positions.getOrDefault(partition, -1L) > offset;
    }

    void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(KafkaClients kafka) {
        while (running) {
            try (KafkaConsumer<String, byte[]> consumer = kafka.reader("fluxfleet-view-" + topic)) {
                List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(i -> new TopicPartition(topic, i.partition())).toList();
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
                Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
                Map<TopicPartition, Long> syncTarget = Map.of();
                long syncing = 0;
                while (running) {
                    long requested = syncRequested.get();
                    if (requested > syncing && caughtUp) {
                        syncing = requested;
                        syncTarget = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
                    }
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(syncing > syncAnswered ? 10 : 200))) {
                        try {
                            sink.accept(r);
                        } catch (RuntimeException e) {
                            LOG.debugf("ignoring record of %s: %s", topic, e.toString());
                        }
                    }
                    for (TopicPartition p : parts) {
                        positions.put(p.partition(), consumer.position(p));
                    }
                    if (!caughtUp) {
                        end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                        caughtUp = end.isEmpty();
                    }
                    if (syncing > syncAnswered) {
                        syncTarget.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                        if (syncTarget.isEmpty()) {
                            syncAnswered = syncing;
                        }
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("%s reader: %s; reconnecting", topic, e.toString());
                sleep(1000);
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
