package io.fluxfleet.worker.intake;

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
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * The crash counter, on the compacted attempts topic. Each worker writes only its own key per job,
 * {@code <jobId>/<workerId>}, value {@code {"open": N, "running": R, "renewedAt": epochMs}}: N renders of
 * the job this worker started and did not end, R of them running now. A render that ends in any way the
 * worker sees (completed, failed, retried, handed back at shutdown or revocation) closes its start again,
 * so only renders that took the process down stay open. While a render runs its entry is renewed every
 * {@code lease-renewal}; an open start whose lease lapsed (four renewals missed) is a crash.
 * Concurrent writers never overwrite each other: every key has one writer.
 *
 * <p>Every key of one job goes to one partition (chosen by the jobId, {@link #partitionOf}), so the
 * starts of a job are totally ordered by offset. Two workers that hold the same record after a
 * rebalance may both decide to start it at the same moment; each records its start first, reads the
 * partition up to its own start, and the later of two live starts gives way ({@link #givesWay}). Without
 * that, both would pass the cap check (neither sees the other's start as a crash) and a job one below
 * the cap could take two more workers down.
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

    /** A start this worker recorded: where its record landed on the attempts topic. */
    public record Start(String jobId, int partition, long offset) {
    }

    private final AttemptEntries view = new AttemptEntries();
    /** This process's open starts per jobId (its own key), and which of them are rendering now. */
    private final Map<String, Integer> ownOpen = new ConcurrentHashMap<>();
    private final Map<String, Integer> running = new ConcurrentHashMap<>();
    /** Claims of this process not yet confirmed or withdrawn, per jobId. */
    private final Map<String, Integer> claims = new ConcurrentHashMap<>();
    private TopicView topic;
    private AttemptRecords records;
    private ScheduledExecutorService renewals;

    void onStart(@Observes @Priority(10) StartupEvent event) {
        topic = new TopicView(kafka, config.topics().attempts(), view::accept);
        records = new AttemptRecords(kafka, config.topics().attempts(), config.render().publishTimeout());
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
        if (records != null) {
            records.close();
        }
    }

    /** True once the view has read the whole topic as it was at startup. */
    public boolean caughtUp() {
        return topic != null && topic.caughtUp();
    }

    /**
     * Renders of jobId that were started and took their worker down: this worker's open starts from
     * before it restarted, every other worker's open starts that are not running now, and all of them
     * once its lease lapsed. Reads the topic up to now first.
     */
    public int crashes(String jobId) {
        sync();
        long lapsed = System.currentTimeMillis() - leaseTimeout().toMillis();
        int crashes = 0;
        for (AttemptEntries.Entry e : view.of(jobId)) {
            boolean own = e.workerId().equals(identity.id());
            if (own) {
                crashes += ownOpen.getOrDefault(jobId, e.open()) - running.getOrDefault(jobId, 0);
            } else {
                crashes += e.renewedAtMs() < lapsed ? e.open() : e.open() - e.running();
            }
        }
        return Math.max(0, crashes);
    }

    /** Another worker holds a live lease on jobId: it is rendering the job right now. */
    public boolean renderingElsewhere(String jobId) {
        sync();
        long lapsed = System.currentTimeMillis() - leaseTimeout().toMillis();
        return view.of(jobId).stream().anyMatch(e -> liveElsewhere(e, lapsed));
    }

    /**
     * Claims a start of jobId (this worker's key, {@code claims} + 1): a live entry that orders this start
     * against other workers' ({@link #givesWay}) before anything is counted. A broker that does not take
     * the record is retried in place within the budget; the claim stands only once the broker has it.
     */
    public Start claim(String jobId, Duration budget) throws InterruptedException {
        Future<RecordMetadata> sent;
        synchronized (this) {
            ownOpen.computeIfAbsent(jobId, this::ownFromView);
            claims.merge(jobId, 1, Integer::sum);
            sent = sendOwn(jobId, false);
        }
        try {
            RecordMetadata landed = records.awaitRetrying(jobId, sent, () -> resendOwn(jobId), budget);
            return new Start(jobId, landed.partition(), landed.offset());
        } catch (IllegalStateException e) {
            withdraw(jobId);
            throw e;
        }
    }

    /** Turns this worker's claim into an open start (renewed until {@link #end}): counted from now on. */
    public void confirm(String jobId, Duration budget) throws InterruptedException {
        Future<RecordMetadata> sent;
        synchronized (this) {
            claims.computeIfPresent(jobId, (k, v) -> v > 1 ? v - 1 : null);
            ownOpen.merge(jobId, 1, Integer::sum);
            running.merge(jobId, 1, Integer::sum);
            sent = sendOwn(jobId, false);
        }
        try {
            records.awaitRetrying(jobId, sent, () -> resendOwn(jobId), budget);
        } catch (IllegalStateException e) {
            end(jobId);
            throw e;
        }
    }

    /** Withdraws a claim that gave way (or could not be recorded): nothing was started. */
    public synchronized void withdraw(String jobId) {
        claims.computeIfPresent(jobId, (k, v) -> v > 1 ? v - 1 : null);
        sendOwn(jobId, true);
    }

    private synchronized Future<RecordMetadata> resendOwn(String jobId) {
        return sendOwn(jobId, false);
    }

    /**
     * True when another worker's live start of the job precedes this one on the topic: that worker
     * renders it, this one must not (it ends its start and waits). Reads the partition up to this start
     * first; a view that cannot get there in time also gives way (it cannot know).
     */
    public boolean givesWay(Start mine) {
        if (!topic.awaitRead(mine.partition(), mine.offset(), Duration.ofSeconds(10))) {
            LOG.warnf("the attempts view did not reach this worker's start of %s within 10 s", mine.jobId());
            return true;
        }
        long lapsed = System.currentTimeMillis() - leaseTimeout().toMillis();
        return view.of(mine.jobId()).stream().anyMatch(e -> liveElsewhere(e, lapsed)
                && (e.partition() != mine.partition() || e.startOffset() < mine.offset()));
    }

    /**
     * Closes a start of jobId that ended without taking the process down (not a crash). Does not wait for the
     * broker: the render thread goes on to its outcome even while the broker is away.
     */
    public synchronized void end(String jobId) {
        running.computeIfPresent(jobId, (k, v) -> v > 1 ? v - 1 : null);
        Integer before = ownOpen.get(jobId);
        if (before == null) {
            return; // forgotten: the job reached a terminal state
        }
        if (before <= 1 && !claims.containsKey(jobId)) {
            ownOpen.remove(jobId);
        } else {
            ownOpen.put(jobId, before - 1);
        }
        sendOwn(jobId, true);
    }

    /** The job reached a terminal state: tombstones for every worker's key of jobId and its markers. */
    public synchronized void forget(String jobId) {
        clearStarts(jobId);
        if (view.handled(jobId) != null) {
            records.send(jobId, key(jobId, AttemptEntries.HANDLED), null, true);
        }
        if (view.replay(jobId) != null) {
            records.send(jobId, key(jobId, AttemptEntries.REPLAY), null, true);
        }
    }

    /** Tombstones for every worker's start of jobId; its markers stay (a dead-lettered job keeps its handled marker). */
    public synchronized void clearStarts(String jobId) {
        running.remove(jobId);
        claims.remove(jobId);
        ownOpen.remove(jobId);
        for (AttemptEntries.Entry e : view.of(jobId)) {
            records.send(jobId, key(jobId, e.workerId()), null, true);
        }
        records.send(jobId, key(jobId, identity.id()), null, true);
    }

    /** The partition of the attempts topic that holds every key of jobId (murmur2 of the jobId, as Kafka's default). */
    public static int partitionOf(String jobId, int partitions) {
        return AttemptRecords.partitionOf(jobId, partitions);
    }

    private void renewRunning() {
        for (String jobId : List.copyOf(running.keySet())) {
            synchronized (this) {
                if (running.containsKey(jobId)) {
                    sendOwn(jobId, true);
                }
            }
        }
    }

    private boolean liveElsewhere(AttemptEntries.Entry e, long lapsedBefore) {
        return !e.workerId().equals(identity.id()) && e.running() + e.claims() > 0 && e.renewedAtMs() >= lapsedBefore;
    }

    private int ownFromView(String jobId) {
        AttemptEntries.Entry own = view.get(key(jobId, identity.id()));
        return own == null ? 0 : own.open();
    }

    AttemptEntries view() {
        return view;
    }

    AttemptRecords records() {
        return records;
    }

    void sync() {
        if (!topic.sync(Duration.ofSeconds(10))) {
            LOG.warnf("the attempts view did not catch up within 10 s; deciding on what it has");
        }
    }

    private Duration leaseTimeout() {
        return config.reliability().leaseRenewal().multipliedBy(4);
    }

    static String key(String jobId, String workerId) {
        return jobId + SEPARATOR + workerId;
    }

    /**
     * Sends this worker's current state of jobId. Called under the lock that also guards the counts, so
     * records leave in the order of the state changes (one producer, one partition: they land in it too)
     * and a renewal can never overwrite a newer count with an older one.
     */
    private Future<RecordMetadata> sendOwn(String jobId, boolean background) {
        int open = ownOpen.getOrDefault(jobId, 0);
        int claimed = claims.getOrDefault(jobId, 0);
        if (open <= 0 && claimed <= 0) {
            return records.send(jobId, key(jobId, identity.id()), null, background);
        }
        ObjectNode value = JSON.createObjectNode();
        value.put("open", open);
        value.put("running", running.getOrDefault(jobId, 0));
        value.put("claims", claimed);
        value.put("renewedAt", System.currentTimeMillis());
        return records.send(jobId, key(jobId, identity.id()), value.toString().getBytes(StandardCharsets.UTF_8),
                background);
    }
}
