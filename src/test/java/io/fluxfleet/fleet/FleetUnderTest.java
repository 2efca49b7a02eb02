package io.fluxfleet.fleet;

import io.fluxfleet.devstack.KafkaCluster;
import io.fluxfleet.devstack.S3Server;
import io.fluxfleet.flux.TinyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The production-like fleet on loopback: a 3-node KRaft cluster (replication 3, min ISR 2), S3Proxy, and
 * packaged workers as child JVMs, with a supervisor that restarts dead workers and workers whose liveness
 * is DOWN, as Kubernetes would. Workers can be added and removed (rebalances).
 */
final class FleetUnderTest implements AutoCloseable {

    static final int PARTITIONS = 6;
    static final String BUCKET = "pf-renders";

    final Path dir;
    final FleetTopics topics = FleetTopics.production();
    final KafkaCluster kafka;
    final S3Server s3;
    final WorkerSettings settings;
    private final Path jar;
    private final Path model;
    private final List<WorkerProcess> workers = new CopyOnWriteArrayList<>();
    private final List<WorkerProcess> removed = new CopyOnWriteArrayList<>();
    private final AtomicInteger livenessRestarts = new AtomicInteger();
    private final Thread supervisor;
    private volatile boolean supervising = true;

    /** The worker settings the suite runs with (budgets sized so that its outages exceed them). */
    record WorkerSettings(int maxAttempts, int crashLoopCap, int uploadAttempts, Duration uploadBackoff,
                          Duration retryBackoff, Duration maxRetryBackoff, Duration grace,
                          Duration deliveryTimeout, Duration renderTimeout) {
    }

    FleetUnderTest(Path dir, WorkerSettings settings, int initialWorkers) throws Exception {
        this.dir = dir;
        this.settings = settings;
        this.jar = Path.of(System.getProperty("fluxfleet.worker.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no packaged worker at " + jar + " (run mvn verify)");
        }
        this.kafka = KafkaCluster.start(dir.resolve("kafka"), KafkaCluster.Settings.defaults().withDefaultPartitions(PARTITIONS));
        this.s3 = S3Server.start(dir.resolve("s3"));
        createTopics();
        this.model = dir.resolve("tiny-model");
        TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
        for (int i = 0; i < initialWorkers; i++) {
            addWorker();
        }
        this.supervisor = new Thread(this::supervise, "fleet-supervisor");
        supervisor.setDaemon(true);
        supervisor.start();
    }

    String bootstrap() {
        return kafka.bootstrapServers();
    }

    private void createTopics() throws Exception {
        try (Admin admin = admin()) {
            List<NewTopic> newTopics = new ArrayList<>();
            for (String topic : topics.all()) {
                // Replication 3 and min ISR 2 from the broker defaults; the jobs topic keeps the broker's
                // 1 MiB limit (an operator who did not lower it), so the worker's own size guards are tested.
                NewTopic t = new NewTopic(topic, Optional.of(topic.equals(topics.dlq()) ? 2 : PARTITIONS), Optional.empty());
                if (topic.equals(topics.attempts()) || topic.equals(topics.control())) {
                    t.configs(Map.of("cleanup.policy", "compact"));
                }
                newTopics.add(t);
            }
            admin.createTopics(newTopics).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Starts one more worker (a scale-up: the group rebalances when it joins). */
    WorkerProcess addWorker() throws IOException {
        WorkerProcess worker = new WorkerProcess(workers.size() + removed.size(), dir, command());
        worker.start();
        workers.add(worker);
        return worker;
    }

    /** Scale-down: SIGTERMs a worker for good; returns its exit code (-1 if it outlived the grace). */
    int removeWorker(WorkerProcess worker) throws InterruptedException {
        workers.remove(worker);
        removed.add(worker);
        return worker.sigterm(settings.grace().plusSeconds(20));
    }

    List<WorkerProcess> workers() {
        return List.copyOf(workers);
    }

    Optional<WorkerProcess> worker(String workerId) {
        return workers.stream().filter(w -> w.workerId.equals(workerId)).findFirst();
    }

    int livenessRestarts() {
        return livenessRestarts.get();
    }

    /** Exits of workers that the suite did not cause, by worker id. */
    Map<String, List<Integer>> unexpectedExits() {
        Map<String, List<Integer>> exits = new HashMap<>();
        for (WorkerProcess w : workers) {
            exits.put(w.workerId, w.unexpectedExits());
        }
        for (WorkerProcess w : removed) {
            exits.put(w.workerId, w.unexpectedExits());
        }
        return exits;
    }

    void awaitAllReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (WorkerProcess w : workers) {
            while (!w.isReady()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(w.workerId + " not ready within " + timeout + "\n" + w.tail(40));
                }
                Thread.sleep(500);
            }
        }
    }

    private List<String> command() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx640m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
                "-Dquarkus.profile=demo", // the local stack's credentials and the default tenant (demo)
                "-Dfluxfleet.model-dir=" + model,
                "-Dfluxfleet.default-acceleration=none",
                "-Dfluxfleet.topics.jobs=" + topics.jobs(),
                "-Dfluxfleet.topics.events=" + topics.events(),
                "-Dfluxfleet.topics.retry=" + topics.retry(),
                "-Dfluxfleet.topics.dlq=" + topics.dlq(),
                "-Dfluxfleet.topics.control=" + topics.control(),
                "-Dfluxfleet.topics.attempts=" + topics.attempts(),
                "-Dfluxfleet.storage.bucket=" + BUCKET,
                // A bucket the fleet allows but that was never created (or was deleted): STORAGE_REJECTED.
                "-Dfluxfleet.limits.allowed-buckets=" + BUCKET + ",pf-no-such-bucket",
                "-Dfluxfleet.storage.presign-expiry=PT0S",
                "-Dfluxfleet.progress.every-steps=100",
                "-Dfluxfleet.limits.max-request-bytes=65536",
                "-Dfluxfleet.reliability.max-attempts=" + settings.maxAttempts(),
                "-Dfluxfleet.reliability.crash-loop-cap=" + settings.crashLoopCap(),
                "-Dfluxfleet.reliability.upload-attempts=" + settings.uploadAttempts(),
                "-Dfluxfleet.reliability.upload-backoff=" + settings.uploadBackoff(),
                "-Dfluxfleet.reliability.backoff=" + settings.retryBackoff(),
                "-Dfluxfleet.reliability.max-backoff=" + settings.maxRetryBackoff(),
                "-Dfluxfleet.render.timeout=" + settings.renderTimeout(),
                // A publish outlives one delivery timeout; the worker re-publishes in place (publish-attempts).
                "-Dfluxfleet.render.publish-timeout=" + settings.deliveryTimeout().plusSeconds(5),
                "-Dfluxfleet.reliability.upload-budget=PT15S",
                "-Dfluxfleet.shutdown.grace=" + settings.grace(),
                "-Dmp.messaging.incoming.jobs.group.id=" + topics.jobsGroup(),
                "-Dfluxfleet.topics.retry-group=" + topics.retryGroup(),
                "-Dkafka.bootstrap.servers=" + kafka.bootstrapServers(),
                // Production producer settings, with a delivery timeout the suite's cluster outage exceeds.
                "-Dkafka.acks=all",
                "-Dkafka.enable.idempotence=true",
                "-Dkafka.delivery.timeout.ms=" + settings.deliveryTimeout().toMillis(),
                "-Dkafka.request.timeout.ms=" + Math.min(5000, settings.deliveryTimeout().toMillis() / 2),
                "-Dquarkus.minio.host=" + s3.endpoint(),
                "-Dquarkus.minio.access-key=" + s3.accessKey(),
                "-Dquarkus.minio.secret-key=" + s3.secretKey(),
                "-Dquarkus.http.host=127.0.0.1",
                "-jar", jar.toString());
    }

    private void supervise() {
        while (supervising) {
            for (WorkerProcess w : workers) {
                try {
                    if (!w.restartIfDead() && !w.isLive()) {
                        w.sigkill();
                        livenessRestarts.incrementAndGet();
                        w.start();
                    }
                } catch (IOException e) {
                    // the next round retries
                } catch (InterruptedException e) {
                    return;
                }
            }
            try {
                Thread.sleep(2000);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The committed lag of both worker groups (jobs and retries); Long.MAX_VALUE when it cannot be read. */
    long groupLag() {
        try (Admin admin = admin()) {
            long lag = 0;
            for (String[] group : List.of(new String[] {topics.jobsGroup(), topics.jobs()},
                    new String[] {topics.retryGroup(), topics.retry()})) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group[0])
                        .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                admin.describeTopics(List.of(group[1])).allTopicNames().get(10, TimeUnit.SECONDS).get(group[1])
                        .partitions().forEach(p -> latest.put(new TopicPartition(group[1], p.partition()), OffsetSpec.latest()));
                Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                        .get(10, TimeUnit.SECONDS);
                for (TopicPartition p : latest.keySet()) {
                    OffsetAndMetadata c = committed.get(p);
                    lag += ends.get(p).offset() - (c == null ? 0 : c.offset());
                }
            }
            return lag;
        } catch (Exception e) {
            return Long.MAX_VALUE;
        }
    }

    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60000));
    }

    String diagnostics() {
        StringBuilder text = new StringBuilder();
        for (WorkerProcess w : workers) {
            text.append(w.tail(25)).append('\n');
        }
        return text.toString();
    }

    @Override
    public void close() {
        supervising = false;
        supervisor.interrupt();
        for (WorkerProcess w : workers) {
            try {
                w.sigkill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        s3.close();
        kafka.close();
    }
}
