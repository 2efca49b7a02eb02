package io.fluxfleet.gateway;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.FleetConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
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
import org.jboss.logging.Logger;

/**
 * The events topic, live, for SSE: one plain consumer per replica on every partition (no group,
 * from the end), fanned out to the streams of each job. The last {@link #RECENT} of events per job
 * are kept briefly, so a stream that opens while the job-state tables lag still sees them.
 */
@ApplicationScoped
public class EventFeed {

    private static final Logger LOG = Logger.getLogger(EventFeed.class);
    static final Duration RECENT = Duration.ofMinutes(2);

    @Inject
    GatewayConfig config;

    @Inject
    FleetConfig fleet;

    @Inject
    KafkaClients kafka;

    private final Map<String, List<Consumer<LiveEvent>>> listeners = new ConcurrentHashMap<>();
    private final Map<String, Deque<Timed>> recent = new ConcurrentHashMap<>();
    private final PollingLoop loop = new PollingLoop();

    private record Timed(long atMs, LiveEvent event) {
    }

    void onStart(@Observes @Priority(30) StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    public synchronized void start() {
        loop.start("fluxfleet-gateway-event-feed", this::poll);
    }

    public synchronized void stop() {
        loop.stop(5000);
    }

    /**
     * Calls {@code listener} for every event of the job from now on, after the recent ones; returns
     * the call that stops it.
     */
    public Runnable subscribe(String jobId, Consumer<LiveEvent> listener) {
        listeners.computeIfAbsent(jobId, k -> new CopyOnWriteArrayList<>()).add(listener);
        Deque<Timed> kept = recent.get(jobId);
        if (kept != null) {
            List<Timed> copy;
            synchronized (kept) {
                copy = List.copyOf(kept);
            }
            copy.forEach(t -> listener.accept(t.event()));
        }
        return () -> listeners.computeIfPresent(jobId, (k, list) -> {
            list.remove(listener);
            return list.isEmpty() ? null : list;
        });
    }

    /** The job's events of the last {@link #RECENT} seen by this replica, in topic order. */
    public List<LiveEvent> recent(String jobId) {
        Deque<Timed> kept = recent.get(jobId);
        if (kept == null) {
            return List.of();
        }
        synchronized (kept) {
            return kept.stream().map(Timed::event).toList();
        }
    }

    public int streams() {
        return listeners.values().stream().mapToInt(List::size).sum();
    }

    private void poll() {
        Map<String, Object> props = kafka.config(Map.of(
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false));
        props.remove(ConsumerConfig.GROUP_ID_CONFIG);
        long lastPrune = System.currentTimeMillis();
        while (loop.running()) {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props)) {
                String topic = fleet.topics().events();
                List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                // A little history, so that a stream opened just before a restart still gets the events in between.
                Map<TopicPartition, Long> start = new java.util.HashMap<>();
                long since = System.currentTimeMillis() - RECENT.toMillis();
                consumer.offsetsForTimes(partitions.stream().collect(java.util.stream.Collectors.toMap(p -> p, p -> since)))
                        .forEach((p, o) -> start.put(p, o == null ? -1L : o.offset()));
                for (TopicPartition p : partitions) {
                    if (start.get(p) >= 0) {
                        consumer.seek(p, start.get(p));
                    } else {
                        consumer.seekToEnd(List.of(p));
                    }
                }
                while (loop.running()) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        dispatch(r);
                    }
                    if (System.currentTimeMillis() - lastPrune > 10_000) {
                        prune();
                        lastPrune = System.currentTimeMillis();
                    }
                }
            } catch (RuntimeException e) {
                LOG.warnf("event feed: %s; reconnecting", e.toString());
                sleep(1000);
            }
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        if (r.key() == null || r.value() == null) {
            return;
        }
        JobEvent event;
        try {
            event = JobJson.readEvent(r.value());
        } catch (RuntimeException e) {
            return;
        }
        Header ceId = r.headers().lastHeader("ce_id");
        String id = ceId != null ? new String(ceId.value(), StandardCharsets.UTF_8)
                : r.key() + "-" + r.partition() + "-" + r.offset();
        LiveEvent live = new LiveEvent(id, event.cloudEventType(), new String(r.value(), StandardCharsets.UTF_8),
                JobStateFold.isTerminal(event));
        Deque<Timed> kept = recent.computeIfAbsent(r.key(), k -> new ArrayDeque<>());
        synchronized (kept) {
            kept.add(new Timed(System.currentTimeMillis(), live));
        }
        List<Consumer<LiveEvent>> subscribed = listeners.get(r.key());
        if (subscribed != null) {
            for (Consumer<LiveEvent> l : subscribed) {
                try {
                    l.accept(live);
                } catch (RuntimeException e) {
                    LOG.debugf("SSE listener of %s failed: %s", r.key(), e);
                }
            }
        }
    }

    private void prune() {
        long oldest = System.currentTimeMillis() - RECENT.toMillis();
        recent.entrySet().removeIf(e -> {
            synchronized (e.getValue()) {
                e.getValue().removeIf(t -> t.atMs() < oldest);
                return e.getValue().isEmpty();
            }
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
