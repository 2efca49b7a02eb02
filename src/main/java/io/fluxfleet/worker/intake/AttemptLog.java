package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.KafkaClients;
import io.fluxfleet.worker.WorkerIdentity;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jboss.logging.Logger;

/**
 * The crash counter, on the compacted attempts topic. Each worker writes only its own key per job,
 * {@code <jobId>/<workerId>}, value {@code {"open": N, "renewedAt": epochMs}}: N renders of the job
 * this worker started and did not end. A render that ends in any way the worker sees (completed,
 * failed, retried, handed back at shutdown or revocation) closes its start again, so only renders
 * that took the process down stay open. While a render runs its entry is renewed every
 * {@code lease-renewal}; an open start whose lease lapsed (four renewals missed) is a crash.
 * Concurrent writers never overwrite each other: every key has one writer.
 */
@ApplicationScoped
public class AttemptLog {

    private static final Logger LOG = Logger.getLogger(AttemptLog.class);
    private static final ObjectMapper JSON = JobJson.newMapper();
    private static final char SEPARATOR = '/';

    @Inject
    FleetConfig config;

    @Inject
    KafkaClients kafka;

    @Inject
    WorkerIdentity identity;

    /** One worker's entry for one job, as read from the topic. */
    record Entry(String jobId, String workerId, int open, long renewedAtMs) {
    }

    private final Map<String, Entry> view = new ConcurrentHashMap<>();
    /** This process's open starts per jobId (its own key), and which of them are rendering now. */
    private final Map<String, Integer> ownOpen = new ConcurrentHashMap<>();
    private final Map<String, Integer> running = new ConcurrentHashMap<>();
    private TopicView topic;
    private ScheduledExecutorService renewals;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        topic = new TopicView(kafka, config.topics().attempts(), this::onRecord);
        renewals = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fluxfleet-attempt-leases");
            t.setDaemon(true);
            return t;
        });
        long every = config.reliability().leaseRenewal().toMillis();
        renewals.scheduleWithFixedDelay(this::renewRunning, every, every, TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (renewals != null) {
            renewals.shutdownNow();
        }
        if (topic != null) {
            topic.close();
        }
    }

    /** True once the view has read the whole topic as it was at startup. */
    public boolean caughtUp() {
        return topic != null && topic.caughtUp();
    }

    private void onRecord(ConsumerRecord<String, byte[]> r) {
        int at = r.key() == null ? -1 : r.key().lastIndexOf(SEPARATOR);
        if (at <= 0) {
            return;
        }
        if (r.value() == null) {
            view.remove(r.key());
            return;
        }
        try {
            JsonNode node = JSON.readTree(r.value());
            view.put(r.key(), new Entry(r.key().substring(0, at), r.key().substring(at + 1),
                    node.path("open").asInt(0), node.path("renewedAt").asLong(0)));
        } catch (Exception e) {
            LOG.debugf("unreadable attempts record %s: %s", r.key(), e.toString());
        }
    }

    /**
     * Renders of jobId that were started and took their worker down: this worker's open starts from
     * before it restarted, and every other worker's open starts whose lease lapsed. Reads the topic
     * up to now first.
     */
    public int crashes(String jobId) {
        sync();
        long lapsed = System.currentTimeMillis() - leaseTimeout().toMillis();
        int crashes = 0;
        for (Entry e : entries(jobId)) {
            boolean own = e.workerId().equals(identity.id());
            if (own) {
                crashes += ownOpen.getOrDefault(jobId, e.open()) - running.getOrDefault(jobId, 0);
            } else if (e.renewedAtMs() < lapsed) {
                crashes += e.open();
            }
        }
        return Math.max(0, crashes);
    }

    /** Another worker holds a live lease on jobId: it is rendering the job right now. */
    public boolean renderingElsewhere(String jobId) {
        sync();
        long lapsed = System.currentTimeMillis() - leaseTimeout().toMillis();
        return entries(jobId).stream().anyMatch(e -> !e.workerId().equals(identity.id()) && e.open() > 0
                && e.renewedAtMs() >= lapsed);
    }

    /** Opens one start of jobId (this worker's key), renewed until {@link #end}. */
    public void start(String jobId) {
        int open = ownOpen.compute(jobId, (k, v) -> (v != null ? v : ownFromView(jobId)) + 1);
        running.merge(jobId, 1, Integer::sum);
        write(jobId, open);
    }

    /** Closes a start of jobId that ended without taking the process down (not a crash). */
    public void end(String jobId) {
        running.computeIfPresent(jobId, (k, v) -> v > 1 ? v - 1 : null);
        Integer before = ownOpen.get(jobId);
        if (before == null) {
            return; // forgotten: the job reached a terminal state
        }
        int after = before - 1;
        if (after <= 0) {
            ownOpen.remove(jobId);
        } else {
            ownOpen.put(jobId, after);
        }
        writeQuietly(jobId, Math.max(0, after));
    }

    /** The job reached a terminal state: tombstones for every worker's key of jobId. */
    public void forget(String jobId) {
        running.remove(jobId);
        ownOpen.remove(jobId);
        for (Entry e : entries(jobId)) {
            send(key(jobId, e.workerId()), null);
        }
        send(key(jobId, identity.id()), null);
    }

    private void renewRunning() {
        for (String jobId : List.copyOf(running.keySet())) {
            writeQuietly(jobId, ownOpen.getOrDefault(jobId, 1));
        }
    }

    private int ownFromView(String jobId) {
        Entry own = view.get(key(jobId, identity.id()));
        return own == null ? 0 : own.open();
    }

    private List<Entry> entries(String jobId) {
        String prefix = jobId + SEPARATOR;
        return view.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)
                && e.getKey().indexOf(SEPARATOR, prefix.length()) < 0).map(Map.Entry::getValue).toList();
    }

    private void sync() {
        if (!topic.sync(Duration.ofSeconds(10))) {
            LOG.warnf("the attempts view did not catch up within 10 s; deciding on what it has");
        }
    }

    private Duration leaseTimeout() {
        return config.reliability().leaseRenewal().multipliedBy(4);
    }

    private static String key(String jobId, String workerId) {
        return jobId + SEPARATOR + workerId;
    }

    private void write(String jobId, int open) {
        ObjectNode value = JSON.createObjectNode();
        value.put("open", open);
        value.put("renewedAt", System.currentTimeMillis());
        byte[] bytes = value.toString().getBytes(StandardCharsets.UTF_8);
        try {
            send(key(jobId, identity.id()), open == 0 ? null : bytes)
                    .get(config.render().publishTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted recording an attempt of " + jobId, e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot record an attempt of " + jobId + ": " + e, e);
        }
    }

    private void writeQuietly(String jobId, int open) {
        try {
            write(jobId, open);
        } catch (RuntimeException e) {
            LOG.warnf("attempts record of %s: %s", jobId, e.getMessage());
        }
    }

    private java.util.concurrent.Future<?> send(String key, byte[] value) {
        return kafka.producer().send(new ProducerRecord<>(config.topics().attempts(), key, value));
    }
}
