package io.fluxfleet.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads what the fleet writes, as a backend and an operator would: every partition of the events, retry,
 * DLQ and attempts topics from the beginning, in a background thread, without a consumer group. Keeps per
 * jobId every event (with the time it was seen), the retry and DLQ records' headers, and the highest attempt
 * count of the attempts topic.
 */
final class FleetObserver implements AutoCloseable {

    /** Everything seen for one jobId. */
    static final class JobTrace {
        final List<JobEvent.Started> started = new CopyOnWriteArrayList<>();
        final List<JobEvent.Completed> completed = new CopyOnWriteArrayList<>();
        final List<JobEvent.Failed> failed = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> retries = new CopyOnWriteArrayList<>();
        final List<Map<String, String>> deadLetters = new CopyOnWriteArrayList<>();
        /** Highest open-start count per attempts-topic key (one key per worker). */
        final Map<String, Integer> openStarts = new ConcurrentHashMap<>();
        /** Sum over workers of their highest open-start count: the crashes the fleet recorded. */
        volatile int maxAttemptsRecorded;
        volatile long firstCompletedNanos;
        volatile long lastCompletedNanos;

        boolean completedOnce() {
            return !completed.isEmpty();
        }

        boolean permanentlyFailed() {
            return failed.stream().anyMatch(f -> !f.retryable());
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FleetTopics topics;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, JobTrace> traces = new ConcurrentHashMap<>();
    private final List<Consumer<JobEvent.Started>> startListeners = new CopyOnWriteArrayList<>();
    private final Thread reader;
    private volatile boolean running = true;
    private volatile long lastRecordNanos = System.nanoTime();
    private volatile int unreadable;

    FleetObserver(String bootstrap, FleetTopics topics) {
        this.topics = topics;
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        consumer = new KafkaConsumer<>(config);
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(topics.events(), topics.retry(), topics.dlq(), topics.attempts())) {
            consumer.partitionsFor(topic, Duration.ofSeconds(60))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        reader = new Thread(this::readLoop, "fleet-observer");
        reader.setDaemon(true);
        reader.start();
    }

    /** Called (on the reader thread) for every started event: the suite kills workers mid-render from here. */
    void onStarted(Consumer<JobEvent.Started> listener) {
        startListeners.add(listener);
    }

    JobTrace trace(String jobId) {
        return traces.computeIfAbsent(jobId, id -> new JobTrace());
    }

    Map<String, JobTrace> traces() {
        return traces;
    }

    /** Nanos since the last record of any watched topic (quiet means the fleet is idle). */
    long quietNanos() {
        return System.nanoTime() - lastRecordNanos;
    }

    int unreadableRecords() {
        return unreadable;
    }

    private void readLoop() {
        while (running) {
            try {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    lastRecordNanos = System.nanoTime();
                    if (record.key() != null) {
                        accept(record);
                    }
                }
            } catch (org.apache.kafka.common.errors.WakeupException e) {
                return;
            } catch (RuntimeException e) {
                // The cluster may be down: the consumer reconnects by itself on the next poll.
                sleep();
            }
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        String topic = record.topic();
        if (topic.equals(topics.attempts())) {
            // Keyed <jobId>/<workerId> (one writer per key); "open" counts that worker's starts not yet ended.
            int slash = record.key().lastIndexOf('/');
            JobTrace trace = trace(slash > 0 ? record.key().substring(0, slash) : record.key());
            if (record.value() != null) {
                try {
                    JsonNode value = JSON.readTree(record.value());
                    int open = value.has("open") ? value.path("open").asInt(0) : value.path("attempts").asInt(0);
                    trace.openStarts.merge(record.key(), open, Math::max);
                    trace.maxAttemptsRecorded = trace.openStarts.values().stream().mapToInt(Integer::intValue).sum();
                } catch (Exception e) {
                    unreadable++;
                }
            }
            return;
        }
        JobTrace trace = trace(record.key());
        if (topic.equals(topics.retry())) {
            trace.retries.add(headers(record));
        } else if (topic.equals(topics.dlq())) {
            trace.deadLetters.add(headers(record));
        } else {
            JobEvent event;
            try {
                event = JobJson.readEvent(record.value());
            } catch (RuntimeException e) {
                unreadable++;
                return;
            }
            if (event instanceof JobEvent.Started started) {
                trace.started.add(started);
                startListeners.forEach(listener -> listener.accept(started));
            } else if (event instanceof JobEvent.Completed completed) {
                long now = System.nanoTime();
                if (trace.completed.isEmpty()) {
                    trace.firstCompletedNanos = now;
                }
                trace.lastCompletedNanos = now;
                trace.completed.add(completed);
            } else if (event instanceof JobEvent.Failed failed) {
                trace.failed.add(failed);
            }
        }
    }

    private static Map<String, String> headers(ConsumerRecord<String, byte[]> record) {
        Map<String, String> headers = new HashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
        }
        headers.put("record-bytes", String.valueOf(record.serializedValueSize() + record.serializedKeySize()
                + headersSize(record)));
        return headers;
    }

    private static int headersSize(ConsumerRecord<String, byte[]> record) {
        int size = 0;
        for (Header header : record.headers()) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return size;
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        reader.join(10_000);
        consumer.close(Duration.ofSeconds(5));
    }
}
