package io.fluxfleet.console;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jboss.logging.Logger;

/**
 * One plain consumer (no group, nothing committed) that follows several topics on a daemon thread, each
 * from its own start (the beginning, or a time back), and hands every record to that topic's reader.
 * Topics that do not exist yet are picked up when they appear.
 */
final class TopicTail {

    private static final Logger LOG = Logger.getLogger(TopicTail.class);

    /** Where a topic is read from: {@code since} back from now, or from the beginning when null. */
    record Source(String topic, Duration since, Consumer<ConsumerRecord<String, byte[]>> reader) {
    }

    private final Map<String, Object> clientConfig;
    private final List<Source> sources;
    private volatile boolean running;
    private Thread thread;

    TopicTail(Map<String, Object> kafkaConfig, List<Source> sources) {
        this.clientConfig = new HashMap<>(kafkaConfig);
        clientConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        clientConfig.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        clientConfig.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        clientConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.sources = List.copyOf(sources);
    }

    synchronized void start(String name) {
        running = true;
        thread = new Thread(this::run, name);
        thread.setDaemon(true);
        thread.start();
    }

    synchronized void stop() {
        running = false;
        if (thread != null) {
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
        }
    }

    private void run() {
        while (running) {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(clientConfig)) {
                Map<TopicPartition, Source> assigned = new HashMap<>();
                long nextCheck = 0;
                while (running) {
                    if (System.currentTimeMillis() >= nextCheck) {
                        assigned = reassign(consumer, assigned);
                        nextCheck = System.currentTimeMillis() + 5_000;
                    }
                    if (assigned.isEmpty()) {
                        sleep(200);
                        continue;
                    }
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        read(assigned.get(new TopicPartition(r.topic(), r.partition())), r);
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("console reader: %s; reconnecting", e.toString());
                sleep(1000);
            }
        }
    }

    /**
     * The partitions of the sources' topics that exist now: those already read keep their position,
     * new ones start at their source's start.
     */
    private Map<TopicPartition, Source> reassign(KafkaConsumer<String, byte[]> consumer,
            Map<TopicPartition, Source> assigned) {
        Map<TopicPartition, Source> wanted = new HashMap<>();
        var topics = consumer.listTopics(Duration.ofSeconds(30));
        for (Source s : sources) {
            if (topics.containsKey(s.topic())) {
                topics.get(s.topic()).forEach(p -> wanted.put(new TopicPartition(s.topic(), p.partition()), s));
            }
        }
        if (wanted.keySet().equals(assigned.keySet())) {
            return assigned;
        }
        Map<TopicPartition, Long> positions = new HashMap<>();
        assigned.keySet().forEach(p -> positions.put(p, consumer.position(p)));
        consumer.assign(wanted.keySet());
        positions.forEach(consumer::seek);
        long now = System.currentTimeMillis();
        Map<TopicPartition, Long> times = new HashMap<>();
        wanted.forEach((p, s) -> {
            if (positions.containsKey(p)) {
                return;
            }
            if (s.since() == null) {
                consumer.seekToBeginning(List.of(p));
            } else {
                times.put(p, now - s.since().toMillis());
            }
        });
        if (!times.isEmpty()) {
            consumer.offsetsForTimes(times).forEach((p, o) -> {
                if (o == null) {
                    consumer.seekToEnd(List.of(p));
                } else {
                    consumer.seek(p, o.offset());
                }
            });
        }
        return wanted;
    }

    private static void read(Source source, ConsumerRecord<String, byte[]> record) {
        try {
            source.reader().accept(record);
        } catch (RuntimeException e) {
            LOG.debugf("console reader of %s skipped a record: %s", record.topic(), e.toString());
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
