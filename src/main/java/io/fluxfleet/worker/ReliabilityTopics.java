package io.fluxfleet.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobJson;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The reliability topics besides the SmallRye channels: a plain producer for the retry, dead-letter
 * and attempts topics, and two plain readers (no consumer group, every partition from the start):
 * the compacted attempts topic (an in-memory view: renders started per jobId) and the control topic
 * (cancel requests, kept in a bounded, time-limited set). See docs/reliability.md.
 */
@ApplicationScoped
public class ReliabilityTopics {

    private static final Logger LOG = Logger.getLogger(ReliabilityTopics.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    public static final String H_ATTEMPT = "fluxfleet-attempt";
    public static final String H_FIRST_FAILURE = "fluxfleet-first-failure";
    public static final String H_NOT_BEFORE = "fluxfleet-not-before";
    public static final String H_ERRORS = "fluxfleet-errors";
    public static final String H_REASON = "fluxfleet-reason";
    public static final String H_MESSAGE = "fluxfleet-reason-message";
    public static final String H_WORKER = "fluxfleet-worker";
    /** On DLQ records: the original request bytes, as they came (the value is the terminal failed event). */
    public static final String H_REQUEST = "fluxfleet-request";

    @Inject
    FleetConfig config;

    @Inject
    WorkerIdentity identity;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private KafkaProducer<String, byte[]> producer;
    private final Map<String, Integer> attempts = new ConcurrentHashMap<>();
    private final LinkedHashMap<String, Instant> cancelled = new LinkedHashMap<>();
    private volatile boolean running;
    private volatile boolean attemptsCaughtUp;
    private volatile boolean controlCaughtUp;
    private final List<Thread> readers = new ArrayList<>();

    void onStart(@Observes @Priority(10) StartupEvent event) {
        createTopics();
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 30_000);
        producer = new KafkaProducer<>(p);
        running = true;
        readers.add(reader("fluxfleet-attempts-view", config.topics().attempts(), this::onAttempts,
                () -> attemptsCaughtUp = true));
        readers.add(reader("fluxfleet-control", config.topics().control(), this::onControl,
                () -> controlCaughtUp = true));
    }

    void onStop(@Observes ShutdownEvent event) {
        running = false;
        for (Thread t : readers) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
        }
    }

    private void createTopics() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000))) {
            var existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> wanted = new ArrayList<>();
            for (String t : List.of(config.topics().retry(), config.topics().dlq(), config.topics().control())) {
                if (!existing.contains(t)) {
                    wanted.add(new NewTopic(t, java.util.Optional.empty(), java.util.Optional.empty()));
                }
            }
            if (!existing.contains(config.topics().attempts())) {
                wanted.add(new NewTopic(config.topics().attempts(), java.util.Optional.empty(), java.util.Optional.empty())
                        .configs(Map.of("cleanup.policy", "compact")));
            }
            if (!wanted.isEmpty()) {
                try {
                    admin.createTopics(wanted).all().get(30, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.debugf("creating topics: %s", e.toString()); // another worker created them first
                }
            }
        } catch (Exception e) {
            LOG.warnf("could not check/create the reliability topics (they may be auto-created): %s", e.toString());
        }
    }

    private interface RecordSink {
        void accept(ConsumerRecord<String, byte[]> record);
    }

    private Thread reader(String name, String topic, RecordSink sink, Runnable caughtUp) {
        Thread t = new Thread(() -> {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            while (running) {
                try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
                    List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                            .map(i -> new TopicPartition(topic, i.partition())).toList();
                    consumer.assign(parts);
                    consumer.seekToBeginning(parts);
                    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
                    while (running) {
                        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                            try {
                                sink.accept(r);
                            } catch (RuntimeException e) {
                                LOG.debugf("ignoring record of %s: %s", topic, e.toString());
                            }
                        }
                        if (!end.isEmpty()) {
                            end.entrySet().removeIf(e -> consumer.position(e.getKey()) >= e.getValue());
                            if (end.isEmpty()) {
                                caughtUp.run();
                            }
                        }
                    }
                } catch (RuntimeException e) {
                    LOG.warnf("%s reader: %s; reconnecting", topic, e.toString());
                    sleep(1000);
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }

    private void onAttempts(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null) {
            return;
        }
        if (r.value() == null) {
            attempts.remove(r.key());
            return;
        }
        JsonNode node = readTree(r.value());
        int n = node == null ? 0 : node.path("attempts").asInt(0);
        attempts.merge(r.key(), n, Math::max);
    }

    private void onControl(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        JsonNode node = readTree(r.value());
        if (node == null || !"cancel".equals(node.path("type").asText())) {
            return;
        }
        Instant at = r.timestamp() > 0 ? Instant.ofEpochMilli(r.timestamp()) : Instant.now();
        if (at.plus(config.reliability().cancelTtl()).isAfter(Instant.now())) {
            cancel(r.key(), at);
        }
    }

    private static JsonNode readTree(byte[] value) {
        try {
            return JSON.readTree(value);
        } catch (Exception e) {
            return null;
        }
    }

    /** Remembers a cancel request (bounded, time-limited). */
    public void cancel(String jobId, Instant at) {
        synchronized (cancelled) {
            cancelled.remove(jobId);
            cancelled.put(jobId, at);
            Instant oldest = Instant.now().minus(config.reliability().cancelTtl());
            var it = cancelled.entrySet().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (cancelled.size() > config.reliability().cancelMaxEntries() || e.getValue().isBefore(oldest)) {
                    it.remove();
                } else {
                    break;
                }
            }
        }
    }

    public boolean isCancelled(String jobId) {
        synchronized (cancelled) {
            Instant at = cancelled.get(jobId);
            return at != null && at.plus(config.reliability().cancelTtl()).isAfter(Instant.now());
        }
    }

    public int cancelledCount() {
        synchronized (cancelled) {
            return cancelled.size();
        }
    }

    /** Renders started for jobId, as far as this worker's view knows (waits up to 10 s for the initial catch-up). */
    public int attempts(String jobId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!attemptsCaughtUp && System.nanoTime() < deadline) {
            sleep(50);
        }
        return attempts.getOrDefault(jobId, 0);
    }

    /** Records one more render start for jobId on the compacted attempts topic; returns the new count. */
    public int renderStarted(String jobId) {
        int n = attempts.merge(jobId, 1, Integer::sum);
        ObjectNode value = JSON.createObjectNode();
        value.put("attempts", n);
        value.put("firstSeen", Instant.now().toString());
        value.put("lastWorker", identity.id());
        send(new ProducerRecord<>(config.topics().attempts(), jobId, value.toString().getBytes(StandardCharsets.UTF_8)));
        return n;
    }

    /** A tombstone for jobId on the attempts topic: the job reached a terminal state. */
    public void forget(String jobId) {
        attempts.remove(jobId);
        try {
            producer.send(new ProducerRecord<>(config.topics().attempts(), jobId, null));
        } catch (RuntimeException e) {
            LOG.debugf("attempts tombstone for %s: %s", jobId, e.toString());
        }
    }

    /** Test support: write an attempts record as a crashed worker would have. */
    void writeAttempts(String jobId, int n) {
        attempts.merge(jobId, n, Math::max);
        ObjectNode value = JSON.createObjectNode();
        value.put("attempts", n);
        value.put("firstSeen", Instant.now().toString());
        value.put("lastWorker", "test");
        send(new ProducerRecord<>(config.topics().attempts(), jobId, value.toString().getBytes(StandardCharsets.UTF_8)));
    }

    /** Sends a record to the retry topic (attempt = the next attempt's number). */
    public void sendRetry(String key, byte[] value, int nextAttempt, Instant firstFailure, Instant notBefore,
            String errorsJson) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().retry(), key, value);
        r.headers().add(new RecordHeader(H_ATTEMPT, bytes(Integer.toString(nextAttempt))));
        r.headers().add(new RecordHeader(H_FIRST_FAILURE, bytes(firstFailure.toString())));
        r.headers().add(new RecordHeader(H_NOT_BEFORE, bytes(Long.toString(notBefore.toEpochMilli()))));
        r.headers().add(new RecordHeader(H_ERRORS, bytes(errorsJson)));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    /**
     * Sends a record to the dead-letter topic: value = the terminal failed event (JSON), headers = the
     * original request bytes, attempts made, first failure, reason, every attempt's error.
     */
    public void sendDlq(String key, byte[] failedEvent, byte[] request, int attemptsMade, Instant firstFailure,
            String reason, String message, String errorsJson) {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(config.topics().dlq(), key, failedEvent);
        if (request != null) {
            r.headers().add(new RecordHeader(H_REQUEST, request));
        }
        r.headers().add(new RecordHeader(H_ATTEMPT, bytes(Integer.toString(attemptsMade))));
        r.headers().add(new RecordHeader(H_FIRST_FAILURE, bytes(firstFailure.toString())));
        r.headers().add(new RecordHeader(H_REASON, bytes(reason)));
        r.headers().add(new RecordHeader(H_MESSAGE, bytes(message)));
        r.headers().add(new RecordHeader(H_ERRORS, bytes(errorsJson)));
        r.headers().add(new RecordHeader(H_WORKER, bytes(identity.id())));
        send(r);
    }

    private void send(ProducerRecord<String, byte[]> record) {
        try {
            producer.send(record).get(config.render().publishTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending to " + record.topic(), e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + record.topic() + ": " + e, e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
