package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.WorkerIdentity;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The retry topic's consumer (group {@code fluxfleet.topics.retry-group}). A record waits for its
 * not-before time without holding a thread: its partition is paused, the consumer seeks back to it and
 * resumes the partition at that time. Other partitions keep flowing, so up to the slot count of due
 * retries are handled at once, each on the retry pool. One record per partition is in flight; its
 * offset is committed once it is handled. Like the jobs channel it joins the group only when the
 * {@link IntakeGate} first opens, fetches nothing while the gate is closed, and uses static membership
 * and the cooperative-sticky assignor.
 */
@ApplicationScoped
public class RetryIntake {

    private static final Logger LOG = Logger.getLogger(RetryIntake.class);

    /** What handles one due retry record (the orchestrator's steps). */
    @FunctionalInterface
    public interface Handler {
        void handle(ConsumerRecord<String, byte[]> record) throws Exception;
    }

    private record Done(TopicPartition partition, long offset, boolean handled) {
    }

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    WorkerIdentity identity;

    @Inject
    IntakeGate gate;

    /** Touched by the consumer thread only. */
    private final Map<TopicPartition, Long> resumeAt = new HashMap<>();
    private final Set<TopicPartition> busy = new HashSet<>();
    private final Queue<Done> done = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean running;
    private Thread thread;
    private ExecutorService pool;

    /** Starts consuming (once the gate opens) and hands each due record to handler. */
    public synchronized void start(Handler handler) {
        if (thread != null) {
            return;
        }
        running = true;
        AtomicInteger threads = new AtomicInteger();
        pool = Executors.newFixedThreadPool(slots(), r -> new Thread(r, "retry-pool-" + threads.incrementAndGet()));
        thread = new Thread(() -> run(handler), "fluxfleet-retry-consumer");
        thread.setDaemon(true);
        thread.start();
    }

    /** Retry records being handled now (at most the slot count). */
    public int inFlight() {
        return inFlight.get();
    }

    void onStop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        if (thread != null) {
            thread.join(10_000);
        }
        if (pool != null) {
            pool.shutdown();
        }
    }

    private int slots() {
        return Math.max(1, config.slots().size());
    }

    private void run(Handler handler) {
        while (running && !gate.isOpen()) {
            sleep(100);
        }
        while (running) {
            try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(consumerConfig())) {
                consumer.subscribe(List.of(config.topics().retry()), new Rebalance(consumer));
                while (running) {
                    poll(consumer, handler);
                }
                commitFinished(consumer);
            } catch (RuntimeException e) {
                LOG.warnf("retry consumer: %s; reconnecting", e.toString());
                resumeAt.clear();
                busy.clear();
                sleep(1000);
            }
        }
    }

    private void poll(KafkaConsumer<String, byte[]> consumer, Handler handler) {
        commitFinished(consumer);
        long now = System.currentTimeMillis();
        boolean open = gate.isOpen();
        Set<TopicPartition> pause = new HashSet<>();
        Set<TopicPartition> resume = new HashSet<>();
        for (TopicPartition p : consumer.assignment()) {
            Long at = resumeAt.get(p);
            boolean waiting = busy.contains(p) || (at != null && at > now) || inFlight.get() >= slots();
            if (!open || waiting) {
                pause.add(p);
            } else {
                resumeAt.remove(p);
                resume.add(p);
            }
        }
        consumer.pause(pause);
        consumer.resume(resume);
        Set<TopicPartition> taken = new HashSet<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
            TopicPartition p = new TopicPartition(record.topic(), record.partition());
            if (!taken.add(p)) {
                continue; // one record per partition at a time: the rest are fetched again after the seek
            }
            consumer.pause(List.of(p));
            long due = dueAt(record);
            if (due > System.currentTimeMillis() || inFlight.get() >= slots()) {
                consumer.seek(p, record.offset());
                resumeAt.put(p, Math.max(due, System.currentTimeMillis()));
                continue;
            }
            consumer.seek(p, record.offset() + 1);
            busy.add(p);
            inFlight.incrementAndGet();
            pool.submit(() -> handleOne(handler, record, p));
        }
    }

    /** The not-before time, capped: a record never waits longer than the longest backoff (a clock skewed writer). */
    private long dueAt(ConsumerRecord<String, byte[]> record) {
        long cap = System.currentTimeMillis() + config.reliability().maxBackoff().toMillis() + 5_000;
        return Math.min(cap, Attempt.notBefore(record));
    }

    private void handleOne(Handler handler, ConsumerRecord<String, byte[]> record, TopicPartition p) {
        boolean handled = false;
        try {
            handler.handle(record);
            handled = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.errorf("retry record %s (%s@%d) not handled, again after %s: %s", record.key(), p, record.offset(),
                    config.reliability().backoff(), e.toString());
        } finally {
            inFlight.decrementAndGet();
            done.add(new Done(p, record.offset(), handled));
        }
    }

    /** On the consumer thread: commits handled records, seeks back to unhandled ones (they come again later). */
    private void commitFinished(KafkaConsumer<String, byte[]> consumer) {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        for (Done d; (d = done.poll()) != null; ) {
            busy.remove(d.partition());
            if (!consumer.assignment().contains(d.partition())) {
                continue; // revoked meanwhile: the new owner takes it from the last commit
            }
            if (d.handled()) {
                commits.put(d.partition(), new OffsetAndMetadata(d.offset() + 1));
            } else if (running) {
                consumer.seek(d.partition(), d.offset());
                resumeAt.put(d.partition(), System.currentTimeMillis() + config.reliability().backoff().toMillis());
            }
        }
        if (!commits.isEmpty()) {
            consumer.commitAsync(commits, (offsets, e) -> {
                if (e != null) {
                    LOG.warnf("retry offsets %s not committed: %s", offsets, e.toString());
                }
            });
        }
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> c = kafka.connection();
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.topics().retryGroup());
        c.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, identity.id());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fluxfleet-retries-" + identity.id());
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        c.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 90_000);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, slots());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
        return c;
    }

    /** Revoked partitions: their finished records are committed first; records still in flight finish. */
    private final class Rebalance implements ConsumerRebalanceListener {
        private final KafkaConsumer<String, byte[]> consumer;

        Rebalance(KafkaConsumer<String, byte[]> consumer) {
            this.consumer = consumer;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
            for (Done d : List.copyOf(done)) {
                if (d.handled() && partitions.contains(d.partition())) {
                    commits.put(d.partition(), new OffsetAndMetadata(d.offset() + 1));
                }
            }
            try {
                if (!commits.isEmpty()) {
                    consumer.commitSync(commits, Duration.ofSeconds(10));
                }
            } catch (RuntimeException e) {
                LOG.warnf("retry offsets of revoked %s not committed: %s", partitions, e.toString());
            }
            partitions.forEach(resumeAt::remove);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            // new partitions start unpaused; the next round pauses them if the gate is closed
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
