package io.fluxfleet.worker;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Plain Kafka clients, as a backend would use them: produce job records, read the events topic. */
final class KafkaTestClients {

    private KafkaTestClients() {
    }

    /** One record of the events topic: key, parsed event, CloudEvents headers. */
    record EventRecord(String key, JobEvent event, Map<String, String> headers, int partition, long offset) {
        String header(String name) {
            return headers.get(name);
        }
    }

    static KafkaProducer<String, byte[]> producer(String bootstrap) {
        return producer(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** A producer with the given connection settings (bootstrap servers, and security for a secured broker). */
    static KafkaProducer<String, byte[]> producer(Map<String, Object> connection) {
        Properties config = new Properties();
        config.putAll(connection);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(config);
    }

    static void send(KafkaProducer<String, byte[]> producer, String topic, String key, String json) throws Exception {
        producer.send(new ProducerRecord<>(topic, key, json.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
    }

    /** A consumer on every partition of the topic, from the beginning, without a group. */
    static KafkaConsumer<String, byte[]> eventsConsumer(String bootstrap, String topic) {
        return eventsConsumer(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap), topic);
    }

    /** Like {@link #eventsConsumer(String, String)}, with the given connection settings. */
    static KafkaConsumer<String, byte[]> eventsConsumer(Map<String, Object> connection, String topic) {
        Properties config = new Properties();
        config.putAll(connection);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config);
        List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return consumer;
    }

    /**
     * Reads events of the given keys until each key has a terminal event (completed, or failed with
     * retryable false), or the timeout passes. Returns every event of those keys, in partition order.
     */
    static Map<String, List<EventRecord>> awaitTerminal(KafkaConsumer<String, byte[]> consumer, Set<String> keys,
            Duration timeout) {
        Map<String, List<EventRecord>> byKey = new HashMap<>();
        Predicate<String> done = key -> byKey.getOrDefault(key, List.of()).stream().anyMatch(r -> isTerminal(r.event()));
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!keys.stream().allMatch(done) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.key() == null || !keys.contains(record.key())) {
                    continue;
                }
                Map<String, String> headers = new HashMap<>();
                for (Header h : record.headers()) {
                    headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8));
                }
                byKey.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(new EventRecord(record.key(),
                        JobJson.readEvent(record.value()), headers, record.partition(), record.offset()));
            }
        }
        List<String> missing = keys.stream().filter(done.negate()).toList();
        if (!missing.isEmpty()) {
            throw new AssertionError("no terminal event within " + timeout + " for " + missing + "; got "
                    + byKey.values().stream().map(KafkaTestClients::summary).toList());
        }
        return byKey;
    }

    /** Types (and failure codes) of the events, one line, for assertion messages. */
    static String summary(List<EventRecord> events) {
        return events.stream().map(r -> r.event() instanceof JobEvent.Failed f
                ? "failed " + f.code() + " " + f.message() : r.event().cloudEventType()).toList().toString();
    }

    static boolean isTerminal(JobEvent event) {
        return event instanceof JobEvent.Completed || (event instanceof JobEvent.Failed f && !f.retryable());
    }
}
