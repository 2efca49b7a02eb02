package io.fluxfleet.gateway;

import io.fluxfleet.worker.FleetConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.jboss.logging.Logger;

/**
 * Runs {@link JobStateTopology} and answers queries from its global tables: a job by id, a tenant's
 * jobs newest first, the number of a tenant's jobs in flight. A fresh replica (or one whose state
 * directory is gone) rebuilds everything from the topics before it reports ready.
 */
@ApplicationScoped
public class JobStateStore {

    private static final Logger LOG = Logger.getLogger(JobStateStore.class);

    @Inject
    GatewayConfig config;

    @Inject
    FleetConfig fleet;

    @Inject
    io.fluxfleet.routing.JobTopics routing;

    @Inject
    KafkaClients kafka;

    @Inject
    GatewayMetrics metrics;

    private volatile KafkaStreams streams;

    /** A page of a tenant's job list; {@code next} is the cursor of the following page, or null. */
    public record Page(List<Map<String, Object>> jobs, String next) {
    }

    void onStart(@Observes @Priority(20) StartupEvent event) {
        if (config.enabled()) {
            start();
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        stop();
    }

    /** Starts the topology (creating the gateway's topics first). */
    public synchronized void start() {
        GatewayConfig.Topics t = config.topics();
        GatewayConfig.State s = config.state();
        List<String> jobTopics = routing.allLaneTopics(); // every lane a job may be produced to (JobTopics)
        Map<String, Integer> partitions = new java.util.HashMap<>(kafka.ensureTopics(
                List.of(fleet.topics().events(), fleet.topics().control(), t.webhooks()), List.of(t.state(), t.index()),
                s.partitions(), s.replicationFactor()));
        // The fold reads these by jobId beside the events: the ones the gateway creates get the events' count.
        List<String> folded = new java.util.ArrayList<>(jobTopics);
        folded.add(t.webhookDlq());
        partitions.putAll(kafka.ensureTopics(folded, List.of(), partitions.get(fleet.topics().events()),
                s.replicationFactor()));
        requireCoPartitioned(partitions, folded, fleet.topics().events());
        var topology = JobStateTopology.build(new JobStateTopology.Settings(jobTopics,
                fleet.topics().events(), t.state(), t.index(), t.webhooks(), t.webhookDlq(), s.retention(),
                s.retentionScan()), metrics::folded);
        Map<String, Object> props = kafka.config(Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId(),
                StreamsConfig.STATE_DIR_CONFIG, s.dir().toString(),
                StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, s.commitIntervalMs(),
                StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE,
                StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest",
                StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) s.replicationFactor()));
        java.util.Properties p = new java.util.Properties();
        p.putAll(props);
        KafkaStreams created = new KafkaStreams(topology, p);
        created.setUncaughtExceptionHandler(e -> {
            LOG.error("job-state topology failed; replacing the stream thread", e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        created.start();
        streams = created;
        LOG.infof("job-state topology started (application.id %s, state in %s, retention %s)", s.applicationId(),
                s.dir(), s.retention());
    }

    /**
     * The fold reads the job topics, the events and the webhook DLQ by jobId in one task per partition
     * number, so a job's records must sit on the same partition number in each: same partition counts.
     */
    static void requireCoPartitioned(Map<String, Integer> partitions, List<String> topics, String events) {
        for (String topic : topics) {
            if (!partitions.get(topic).equals(partitions.get(events))) {
                throw new IllegalStateException("topics " + topic + " (" + partitions.get(topic) + " partitions) and "
                        + events + " (" + partitions.get(events) + ") must have the same number of partitions for the"
                        + " gateway's job-state topology");
            }
        }
    }

    /** Stops the topology; its RocksDB files stay (a restart catches up from the topics' offsets). */
    public synchronized void stop() {
        KafkaStreams current = streams;
        streams = null;
        if (current != null) {
            current.close(Duration.ofSeconds(30));
        }
    }

    /** True once the global tables are restored and the topology runs. */
    public boolean ready() {
        KafkaStreams current = streams;
        return current != null && current.state() == KafkaStreams.State.RUNNING;
    }

    public String streamsState() {
        KafkaStreams current = streams;
        return current == null ? "NOT_STARTED" : current.state().name();
    }

    /** Records of the input topics the topology's consumers (fold and global tables) have not read yet. */
    public double lagRecords() {
        KafkaStreams current = streams;
        if (current == null) {
            return 0;
        }
        return current.metrics().values().stream()
                .filter(m -> m.metricName().name().equals("records-lag") && m.metricValue() instanceof Number)
                .mapToDouble(m -> Math.max(0, ((Number) m.metricValue()).doubleValue()))
                .filter(Double::isFinite).sum();
    }

    /** The job, whoever owns it (callers check the tenant). */
    public Optional<JobState> get(String jobId) {
        return Optional.ofNullable(JobStateTopology.read(store(JobStateTopology.STATE_STORE).get(jobId)));
    }

    /**
     * A tenant's jobs newest first, from {@code cursor} (exclusive), those matching {@code filter}.
     */
    public Page list(String tenant, String cursor, int limit, Predicate<Map<String, Object>> filter) {
        String prefix = JobStateTopology.tenantPrefix(tenant);
        String from = cursor != null ? cursor + "\u0000" : prefix;
        String to = prefix.substring(0, prefix.length() - 1) + "\u0001";
        List<Map<String, Object>> jobs = new ArrayList<>();
        String last = null;
        try (KeyValueIterator<String, byte[]> it = store(JobStateTopology.INDEX_STORE).range(from, to)) {
            while (it.hasNext() && jobs.size() < limit) {
                KeyValue<String, byte[]> kv = it.next();
                Map<String, Object> summary = summary(kv.value);
                if (summary != null && filter.test(summary)) {
                    jobs.add(summary);
                }
                last = kv.key;
            }
            return new Page(jobs, it.hasNext() && last != null ? last : null);
        }
    }

    /** Jobs of the tenant not yet completed or failed. */
    public long inFlight(String tenant) {
        String prefix = JobStateTopology.tenantPrefix(tenant);
        long n = 0;
        try (KeyValueIterator<String, byte[]> it = store(JobStateTopology.INDEX_STORE).range(prefix,
                prefix.substring(0, prefix.length() - 1) + "\u0001")) {
            while (it.hasNext()) {
                Map<String, Object> summary = summary(it.next().value);
                if (summary != null && !JobStatus.parse(String.valueOf(summary.get("state"))).terminal()) {
                    n++;
                }
            }
        }
        return n;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> summary(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return JobStateFold.JSON.readValue(bytes, Map.class);
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private ReadOnlyKeyValueStore<String, byte[]> store(String name) {
        KafkaStreams current = streams;
        if (current == null) {
            throw new GatewayUnavailableException("the job-state topology is not running");
        }
        try {
            return current.store(StoreQueryParameters.fromNameAndType(name, QueryableStoreTypes.keyValueStore()));
        } catch (org.apache.kafka.streams.errors.InvalidStateStoreException e) {
            throw new GatewayUnavailableException("job state is being rebuilt (" + current.state() + ")");
        }
    }
}
