package io.fluxfleet.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.storage.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production-like fault suite (docs/reliability.md, "Faults survived"): 300+ valid jobs with random seeds,
 * mixed sizes and presets, and five poison jobs, through a 3-node KRaft cluster (replication 3, min ISR 2,
 * acks=all) and packaged workers, while the suite SIGKILLs a partition leader, kills the whole cluster for
 * longer than the producers' delivery timeout, kills S3 for longer than the in-place upload budget, SIGKILLs
 * workers mid-render, scales the workers up and down, and rolls every worker with SIGTERM while it renders.
 * Loopback only; bounded by the timeout below; writes docs/reliability-run.md on every run, passed or not.
 */
class ProductionFaultsIT {

    private static final FleetUnderTest.WorkerSettings SETTINGS = new FleetUnderTest.WorkerSettings(
            5, 3, 3, Duration.ofMillis(500), Duration.ofSeconds(2), Duration.ofSeconds(8),
            Duration.ofMinutes(6), Duration.ofSeconds(15), Duration.ofMinutes(3));
    /** Upload budget in place: 0.5 s + 1 s of pauses (3 attempts). The outage is several times longer. */
    /** Longer than the workers' in-place upload budget (upload-budget PT15S in FleetUnderTest). */
    private static final Duration S3_OUTAGE = Duration.ofSeconds(20);
    /** Longer than the workers' and the suite's delivery.timeout.ms (15 s). */
    private static final Duration CLUSTER_OUTAGE = Duration.ofSeconds(25);
    /**
     * Scales the job batches (1.0: 300+ valid jobs, the suite as CI runs it). A smaller scale is for checking the
     * suite itself on a machine too loaded to render 300 jobs in time; the figures then say so.
     */
    private static final double SCALE = Double.parseDouble(System.getProperty("fluxfleet.faults.scale", "1.0"));

    @TempDir
    static Path dir;
    static FleetUnderTest fleet;
    static FleetObserver observer;

    private final JobMix mix = new JobMix();
    private final ReliabilityRunReport report = new ReliabilityRunReport();
    private final Map<String, Long> submittedNanos = new ConcurrentHashMap<>();
    private final List<String> valid = new ArrayList<>();
    /** Poison jobId → the DLQ reason it must get. */
    private final Map<String, String> poisons = new LinkedHashMap<>();
    private final ExecutorService killer = Executors.newSingleThreadExecutor();
    private final AtomicInteger midRenderKillsArmed = new AtomicInteger();
    private static final String MID_RENDER_KILL = "worker SIGKILLed mid-render";
    private final Set<String> s3OutageJobs = ConcurrentHashMap.newKeySet();
    private volatile String crashPoison;
    private long lastFaultNanos;

    @AfterAll
    static void stop() throws Exception {
        if (observer != null) {
            observer.close();
        }
        if (fleet != null) {
            fleet.close();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void everyJobEndsOnceThroughBrokerStorageAndWorkerFaults() throws Exception {
        long t0 = System.nanoTime();
        System.out.println("ProductionFaultsIT job generator seed " + mix.generatorSeed);
        String result = "failed";
        try {
            fleet = new FleetUnderTest(dir, SETTINGS, 3);
            fleet.awaitAllReady(Duration.ofMinutes(5));
            report.figure("fleet start-up (cluster, S3, 3 workers ready)", seconds(System.nanoTime() - t0));
        if (SCALE != 1.0) {
            report.figure("scale (fluxfleet.faults.scale; 1.0 in CI)", SCALE);
        }
            observer = new FleetObserver(fleet.bootstrap(), fleet.topics);
            observer.onStarted(this::injectOnStart);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                runFaults(producer);
            }
            long drainStart = System.nanoTime();
            awaitEveryJobSettled(Duration.ofMinutes(10));
            report.figure("time to drain after the last fault", seconds(System.nanoTime() - lastFaultNanos));
            report.figure("drain wait after the last phase", seconds(System.nanoTime() - drainStart));
            assertEverything();
            result = "passed";
        } catch (Throwable failure) {
            result = "FAILED: " + String.valueOf(failure.getMessage()).lines().findFirst().orElse("").replace('|', '/');
            if (fleet != null) {
                System.out.println(fleet.diagnostics());
            }
            throw failure;
        } finally {
            killer.shutdownNow();
            report.figure("whole run", seconds(System.nanoTime() - t0));
            writeReport(result.length() > 140 ? result.substring(0, 140) : result);
        }
    }

    // ---- the faults ---------------------------------------------------------------------------------------

    private void runFaults(KafkaProducer<String, byte[]> producer) throws Exception {
        // 1. Every poison, then jobs; a worker SIGKILLed mid-render; the leader of a jobs partition SIGKILLed. The
        // poisons go first: the crash poison takes cap worker restarts in a row, the longest chain of the run.
        submitPoisons(producer);
        submitValid(producer, "a", 120);
        submitSlow(producer, "a-slow", 4);
        midRenderKillsArmed.set(1);
        sleep(Duration.ofSeconds(3));
        int leader = fleet.kafka.killLeaderOf(new TopicPartition(fleet.topics.jobs(), 0));
        fault("broker SIGKILLed while partition leader");
        sleep(Duration.ofSeconds(10));
        fleet.kafka.restart(leader);
        fleet.kafka.awaitFullIsr(fleet.topics.all(), Duration.ofMinutes(2));

        // 2. Rebalances: a worker joins, jobs arrive, a worker leaves (SIGTERM), another is SIGKILLed mid-render.
        fleet.addWorker();
        fault("worker added (rebalance)");
        submitValid(producer, "b", 80);
        submitSlow(producer, "b-slow", 3);
        midRenderKillsArmed.set(1);
        sleep(Duration.ofSeconds(8));
        // Scale-down takes a running worker (a pod the crash or mid-render kill just restarted has nothing to
        // drain: SIGTERMed before it installed its drain, its JVM exits 143, as in the run of 13:21Z).
        int exit = fleet.removeWorker(awaitAReadyWorker(Duration.ofMinutes(3)));
        assertEquals(0, exit, "a worker removed by scale-down (SIGTERM) must drain and exit 0");
        fault("worker removed with SIGTERM (rebalance)");

        // 3. S3 down far longer than the in-place upload budget: those jobs must go through the retry topic.
        // S3 stays down at least S3_OUTAGE and until an upload has failed past its in-place budget (a retry
        // record with STORAGE_FAILED): a loaded machine may have no upload due in the first 20 s (run of 13:40Z).
        fleet.s3.kill();
        long outageStart = System.nanoTime();
        submitValid(producer, "c", 60).forEach(s3OutageJobs::add);
        sleep(S3_OUTAGE.minusNanos(System.nanoTime() - outageStart));
        long outageDeadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (!anUploadWentToTheRetryTopic() && System.nanoTime() < outageDeadline) {
            sleep(Duration.ofMillis(500));
        }
        fleet.s3.startAgain();
        fault("S3 killed (" + S3_OUTAGE.toSeconds() + " s or until an upload went to the retry topic)");

        // 4. The whole cluster down longer than every producer's delivery timeout, with renders in flight.
        submitValid(producer, "d", 40);
        sleep(Duration.ofSeconds(2));
        fleet.kafka.killAll();
        fault("whole Kafka cluster SIGKILLed for " + CLUSTER_OUTAGE.toSeconds() + " s");
        sleep(CLUSTER_OUTAGE);
        fleet.kafka.startAll();
        fleet.kafka.awaitFullIsr(fleet.topics.all(), Duration.ofMinutes(2));

        // 5. Rollout: every worker SIGTERMed in turn while it renders a slow job, then replaced. The suite's own
        // kills must not overlap it (a SIGTERM to a pod the crash poison just took down would hit its restart,
        // not a draining worker): mid-render kills are disarmed and the crash poison has reached the DLQ.
        midRenderKillsArmed.set(0);
        awaitDeadLettered(crashPoison, Duration.ofMinutes(8));
        rollout(producer);
        lastFaultNanos = System.nanoTime();
    }

    private void rollout(KafkaProducer<String, byte[]> producer) throws Exception {
        List<WorkerProcess> workers = fleet.workers();
        List<String> slow = submitSlow(producer, "e-slow", 2 * workers.size());
        for (WorkerProcess worker : workers) {
            String inFlight = awaitSlowJobInFlight(worker, slow, Duration.ofMinutes(3));
            int exit = worker.sigterm(SETTINGS.grace().plusSeconds(20));
            assertEquals(0, exit, worker.workerId + " SIGTERMed during a render must finish it and exit 0\n" + worker.tail(30));
            fault("worker SIGTERMed while rendering (rollout)");
            if (inFlight != null) {
                rolloutRenders.put(inFlight, worker.workerId);
            }
            worker.restartIfDead();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (!worker.isReady() && System.nanoTime() < deadline) {
                sleep(Duration.ofMillis(500));
            }
        }
    }

    private final Map<String, String> rolloutRenders = new ConcurrentHashMap<>();

    private boolean anUploadWentToTheRetryTopic() {
        return observer.traces().values().stream().anyMatch(t -> t.retries.stream()
                .anyMatch(h -> String.valueOf(h.get("fluxfleet-errors")).contains("STORAGE_FAILED")));
    }

    private WorkerProcess awaitAReadyWorker(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (WorkerProcess w : fleet.workers()) {
                if (w.isReady()) {
                    return w;
                }
            }
            sleep(Duration.ofMillis(500));
        }
        throw new AssertionError("no worker ready within " + timeout);
    }

    private void awaitDeadLettered(String jobId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (observer.trace(jobId).deadLetters.isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(jobId + " not dead-lettered within " + timeout + " " + summary(jobId));
            }
            sleep(Duration.ofMillis(500));
        }
    }

    /** A slow job the worker has started and not finished, or null when none came within the timeout. */
    private String awaitSlowJobInFlight(WorkerProcess worker, List<String> slow, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!worker.isReady()) { // restarting: its earlier starts are not in flight any more
                sleep(Duration.ofMillis(500));
                continue;
            }
            for (String id : slow) {
                FleetObserver.JobTrace trace = observer.trace(id);
                if (!trace.completedOnce() && !trace.started.isEmpty()
                        && trace.started.get(trace.started.size() - 1).workerId().equals(worker.workerId)) {
                    return id;
                }
            }
            sleep(Duration.ofMillis(100));
        }
        return null;
    }

    /** Runs on the observer's thread for each started event: the crash poison and mid-render SIGKILLs. */
    private void injectOnStart(JobEvent.Started started) {
        boolean crash = started.jobId().equals(crashPoison);
        // Armed, the next valid job to start takes its worker down: the render has just begun (slow jobs alone
        // started too late, after the kills were disarmed, in the runs of 2026-11-30).
        boolean midRenderKill = !crash && !started.jobId().contains("poison") && fleet.worker(started.workerId()).isPresent()
                && midRenderKillsArmed.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
        if (!crash && !midRenderKill) {
            return;
        }
        fleet.worker(started.workerId()).ifPresent(worker -> killer.submit(() -> {
            worker.sigkill();
            fault(crash ? "worker process crashed by the poison job (SIGKILL at its start)" : MID_RENDER_KILL);
            return null;
        }));
    }

    // ---- jobs -----------------------------------------------------------------------------------------------

    private List<String> submitValid(KafkaProducer<String, byte[]> producer, String batch, int fullCount) throws Exception {
        int count = Math.max(1, (int) Math.round(fullCount * SCALE));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = mix.jobId(batch, i);
            send(producer, id, mix.validJob(id));
            ids.add(id);
        }
        valid.addAll(ids);
        return ids;
    }

    private List<String> submitSlow(KafkaProducer<String, byte[]> producer, String batch, int count) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = mix.jobId(batch, i);
            send(producer, id, mix.slowJob(id));
            ids.add(id);
        }
        valid.addAll(ids);
        return ids;
    }

    private void submitPoisons(KafkaProducer<String, byte[]> producer) throws Exception {
        crashPoison = mix.jobId("poison-crash", 0);
        // A long render, so the SIGKILL at its start always lands before it could finish.
        send(producer, crashPoison, mix.crashingJob(crashPoison));
        poisons.put(crashPoison, "CRASH_LOOP");
        String json = mix.jobId("poison-json", 0);
        send(producer, json, mix.invalidJson(json));
        poisons.put(json, "INVALID_JSON");
        String large = mix.jobId("poison-large", 0);
        send(producer, large, mix.oversizedJob(large));
        poisons.put(large, "REQUEST_TOO_LARGE");
        String bucket = mix.jobId("poison-bucket", 0);
        send(producer, bucket, mix.missingBucketJob(bucket));
        poisons.put(bucket, "STORAGE_REJECTED");
        // A custom preset failing on the device needs an engine fault no CPU produces on demand: it is covered with
        // the test-scoped FaultTriggeringEngine in ReliabilityTest, not in the packaged workers here.
        report.figure("poison jobs", poisons.size() + " (" + String.join(", ", poisons.values()) + ")");
    }

    private void send(KafkaProducer<String, byte[]> producer, String id, String json) throws Exception {
        submittedNanos.put(id, System.nanoTime());
        producer.send(new ProducerRecord<>(fleet.topics.jobs(), id, json.getBytes(StandardCharsets.UTF_8))).get(60, TimeUnit.SECONDS);
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties config = new Properties();
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fleet.bootstrap());
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) SETTINGS.deliveryTimeout().toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5000);
        config.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_100_000);
        return new KafkaProducer<>(config);
    }

    // ---- settling and assertions ----------------------------------------------------------------------------

    private void awaitEveryJobSettled(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            boolean validDone = valid.stream().allMatch(id -> observer.trace(id).completedOnce());
            boolean poisonsDone = poisons.keySet().stream().allMatch(id -> !observer.trace(id).deadLetters.isEmpty());
            if (validDone && poisonsDone) {
                sleep(Duration.ofSeconds(3)); // late duplicates
                return;
            }
            sleep(Duration.ofSeconds(1));
        }
        List<String> open = valid.stream().filter(id -> !observer.trace(id).completedOnce()).limit(15).toList();
        List<String> openPoisons = poisons.keySet().stream().filter(id -> observer.trace(id).deadLetters.isEmpty()).toList();
        throw new AssertionError("not settled within " + timeout + ": valid jobs without completed " + open
                + " " + open.stream().map(id -> summary(id)).toList() + "; poisons without DLQ record " + openPoisons);
    }

    private void assertEverything() throws Exception {
        assertTrue(report.faults.getOrDefault(MID_RENDER_KILL, 0) >= 2, "workers SIGKILLed mid-render: "
                + report.faults.getOrDefault(MID_RENDER_KILL, 0) + ", expected one per armed phase (2)");
        ObjectStore store = new ObjectStore(ObjectStore.client(fleet.s3.endpoint(), fleet.s3.accessKey(), fleet.s3.secretKey(), "us-east-1"));
        for (String id : valid) {
            FleetObserver.JobTrace trace = observer.trace(id);
            assertTrue(trace.deadLetters.isEmpty(), id + ": a valid job in the DLQ " + summary(id));
            assertTrue(trace.failed.stream().allMatch(JobEvent.Failed::retryable), id + ": a valid job failed for good " + summary(id));
            JobEvent.Completed first = trace.completed.get(0);
            byte[] stored = store.get(first.bucket(), first.key()).orElseThrow(() -> new AssertionError(id + ": no object " + first.key()));
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stored));
            for (JobEvent.Completed c : trace.completed) {
                assertEquals(sha, c.sha256(), id + ": completed event (attempt " + c.attempt() + ", " + c.workerId()
                        + ") names another sha256 than the stored object");
                assertEquals(first.key(), c.key(), id + ": completed events name different keys");
            }
        }
        // S3 outage: the jobs whose upload it hit (those rendering then, not only those submitted during
        // it, which may wait in the backlog until S3 is back) went through the retry topic with
        // STORAGE_FAILED in the retry record's errors header, and still completed.
        long retried = valid.stream().filter(id -> observer.trace(id).retries.stream()
                .anyMatch(h -> String.valueOf(h.get("fluxfleet-errors")).contains("STORAGE_FAILED"))).count();
        assertTrue(retried > 0, "no job hit by the S3 outage went through the retry topic");
        report.figure("jobs that went through the retry topic with STORAGE_FAILED (S3 outage)",
                retried + " of " + valid.size() + " valid jobs (" + s3OutageJobs.size() + " submitted during the outage)");
        // Poisons: own code, within the configured attempts counted from the attempts topic, bounded records.
        for (Map.Entry<String, String> poison : poisons.entrySet()) {
            FleetObserver.JobTrace trace = observer.trace(poison.getKey());
            Map<String, String> dlq = trace.deadLetters.get(0);
            assertEquals(poison.getValue(), dlq.get("fluxfleet-reason"), poison.getKey() + " " + summary(poison.getKey()));
            int cap = switch (poison.getValue()) {
                case "CRASH_LOOP" -> SETTINGS.crashLoopCap();
                case "RETRIES_EXHAUSTED" -> SETTINGS.maxAttempts();
                case "STORAGE_REJECTED" -> 1;
                default -> 0;
            };
            assertTrue(trace.maxAttemptsRecorded <= cap, poison.getKey() + ": " + trace.maxAttemptsRecorded
                    + " attempts recorded, at most " + cap + " allowed");
            assertTrue(Integer.parseInt(dlq.get("record-bytes")) < 1_048_576, poison.getKey() + ": DLQ record of "
                    + dlq.get("record-bytes") + " bytes");
        }
        // The rollout: a job in flight at SIGTERM was finished by the stopping worker.
        rolloutRenders.forEach((id, worker) -> assertTrue(observer.trace(id).completed.stream()
                .anyMatch(c -> c.workerId().equals(worker)), id + " in flight at " + worker + "'s SIGTERM: " + summary(id)));
        // Nothing left behind, nothing crash-looping.
        long lag = Long.MAX_VALUE;
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90); lag != 0 && System.nanoTime() < deadline; ) {
            lag = fleet.groupLag();
            sleep(Duration.ofSeconds(1));
        }
        assertEquals(0, lag, "consumer group lag at the end");
        fleet.awaitAllReady(Duration.ofMinutes(2));
        assertTrue(fleet.unexpectedExits().values().stream().allMatch(List::isEmpty),
                "workers exited without being killed (crash loop): " + fleet.unexpectedExits());
        assertEquals(0, fleet.livenessRestarts(), "workers restarted for liveness DOWN");
    }

    // ---- figures --------------------------------------------------------------------------------------------

    private void writeReport(String result) throws Exception {
        if (observer == null) {
            report.write(result, "| " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                    + " | " + result + " | - | - | - | - | - | - | - |");
            return;
        }
        List<Integer> renders = valid.stream().map(id -> observer.trace(id).started.size()).toList();
        List<Long> latencies = valid.stream().filter(id -> observer.trace(id).completedOnce())
                .map(id -> (observer.trace(id).firstCompletedNanos - submittedNanos.get(id)) / 1_000_000).sorted().toList();
        int duplicates = valid.stream().mapToInt(id -> Math.max(0, observer.trace(id).completed.size() - 1)).sum();
        double mean = renders.stream().mapToInt(Integer::intValue).average().orElse(0);
        int max = renders.stream().mapToInt(Integer::intValue).max().orElse(0);
        String p50 = percentile(latencies, 0.50);
        String p99 = percentile(latencies, 0.99);
        report.figure("valid jobs (random seeds, 64-128 px, none / jit-7x / ralu-7x; slow: 128x128 8 steps)", valid.size()
                + " (generator seed " + mix.generatorSeed + ")");
        report.figure("renders per valid job (started events): mean / max", "%.2f / %d".formatted(mean, max));
        report.figure("duplicate completed events (same object and sha256)", duplicates);
        report.figure("end-to-end latency (submit to first completed): p50 / p99", p50 + " / " + p99);
        report.figure("worker exits not caused by the suite", fleet == null ? "-" : fleet.unexpectedExits());
        report.figure("restarts for liveness DOWN", fleet == null ? "-" : fleet.livenessRestarts());
        report.figure("unreadable records on the watched topics", observer.unreadableRecords());
        report.write(result, "| %s | %s | %d | %d | %.2f / %d | %d | %s / %s | %s | %s |".formatted(
                java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS), result, valid.size(),
                report.totalFaults(), mean, max, duplicates, p50, p99,
                report.figures.getOrDefault("time to drain after the last fault", "-"), report.figures.get("whole run")));
    }

    private void fault(String name) {
        synchronized (report) {
            report.fault(name);
        }
        lastFaultNanos = System.nanoTime();
    }

    private String summary(String id) {
        FleetObserver.JobTrace t = observer.trace(id);
        return "[started " + t.started.size() + ", completed " + t.completed.size() + ", failed "
                + t.failed.stream().map(f -> f.code() + (f.retryable() ? "(retry)" : "") + ": " + f.message()).toList()
                + ", retry records " + t.retries.size() + ", DLQ " + t.deadLetters.stream().map(h -> h.get("fluxfleet-reason")).toList()
                + ", attempts " + t.maxAttemptsRecorded + "]";
    }

    private static String percentile(List<Long> sortedMillis, double p) {
        if (sortedMillis.isEmpty()) {
            return "-";
        }
        int index = (int) Math.min(sortedMillis.size() - 1, Math.ceil(p * sortedMillis.size()) - 1);
        return "%.1f s".formatted(sortedMillis.get(Math.max(0, index)) / 1000.0);
    }

    private static String seconds(long nanos) {
        return "%.1f s".formatted(nanos / 1e9);
    }

    private static void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
