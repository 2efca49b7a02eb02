package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code fluxfleet submit} over Kafka: a plain producer sends the job, a consumer assigned to the events
 * topic (from its end) follows it until its terminal event, as a backend would.
 */
final class KafkaSubmit implements AutoCloseable {

    /** What became of one job: its terminal event (null: none in time) and when it was sent and ended. */
    record Outcome(JobEvent terminal, long sentNanos, long endedNanos) {
        int exitCode() {
            if (terminal == null) {
                return SubmitCommand.EXIT_TIMEOUT;
            }
            return terminal instanceof JobEvent.Completed ? 0 : SubmitCommand.EXIT_FAILED;
        }

        double endToEndMs() {
            return (endedNanos - sentNanos) / 1e6;
        }
    }

    private final ObjectMapper json = new ObjectMapper();
    private final PrintStream err = System.err;
    private final JobEventPrinter printer = new JobEventPrinter(err);
    private final String eventsTopic;
    private final Duration timeout;
    private final KafkaProducer<String, byte[]> producer;
    private final KafkaConsumer<String, byte[]> consumer;

    KafkaSubmit(String servers, String eventsTopic, Duration timeout) {
        this.eventsTopic = eventsTopic;
        this.timeout = timeout;
        this.producer = new KafkaProducer<>(producerConfig(servers));
        try {
            this.consumer = new KafkaConsumer<>(consumerConfig(servers));
        } catch (RuntimeException e) {
            producer.close();
            throw e;
        }
    }

    /** Assigns every partition of the events topic at its end, so that only events after now are read. */
    void followFromNow() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<PartitionInfo> partitions = List.of();
        while (partitions.isEmpty()) {
            try {
                partitions = consumer.partitionsFor(eventsTopic, Duration.ofSeconds(10));
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                partitions = List.of();
            }
            if (partitions == null) {
                partitions = List.of();
            }
            if (partitions.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no topic " + eventsTopic + " on the broker (is it up? is a worker running?)");
                }
                Thread.sleep(500);
            }
        }
        List<TopicPartition> assigned = partitions.stream().map(p -> new TopicPartition(eventsTopic, p.partition())).toList();
        consumer.assign(assigned);
        consumer.seekToEnd(assigned);
        assigned.forEach(consumer::position); // resolve the end offsets now, before the job is sent
    }

    /** Sends the job (keyed by its id) and reads events until its terminal one or the timeout. */
    Outcome submitAndWait(String topic, String id, ObjectNode request, boolean verbose) throws Exception {
        byte[] value = json.writeValueAsBytes(request);
        long sent = System.nanoTime();
        producer.send(new ProducerRecord<>(topic, id, value)).get(30, TimeUnit.SECONDS);
        if (verbose) {
            err.println("submitted " + id + " to " + topic + ": " + new String(value, StandardCharsets.UTF_8));
        }
        long deadline = sent + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                if (!id.equals(record.key())) {
                    continue;
                }
                JobEvent event;
                try {
                    event = JobJson.readEvent(record.value());
                } catch (RuntimeException e) {
                    err.println("unreadable event for " + id + ": " + e.getMessage());
                    continue;
                }
                if (verbose) {
                    printer.print(event);
                }
                if (event instanceof JobEvent.Completed
                        || event instanceof JobEvent.Failed failed && !failed.retryable()) {
                    return new Outcome(event, sent, System.nanoTime());
                }
            }
        }
        err.println("no terminal event for " + id + " within " + timeout.toSeconds() + " s");
        return new Outcome(null, sent, System.nanoTime());
    }

    @Override
    public void close() {
        try {
            consumer.close();
        } finally {
            producer.close();
        }
    }

    private static Properties producerConfig(String servers) {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        return config;
    }

    private static Properties consumerConfig(String servers) {
        Properties config = new Properties();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 10);
        return config;
    }
}
