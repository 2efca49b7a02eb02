package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault-injection suite (docs/reliability.md): 200+ jobs on the tiny checkpoint through three
 * packaged workers (child JVMs) while workers are SIGKILLed and restarted, one is stopped with SIGTERM
 * (it must exit 0 within the grace), the Kafka broker is stopped and restarted, the S3 server is down
 * for 12 s, and two poison jobs are injected (one halts the worker JVM each time it is rendered, one is
 * not JSON). Loopback only, bounded in time; writes its figures to docs/reliability-run.md.
 */
class FaultInjectionIT {

    private static final int PARTITIONS = 6;
    private static final int JOBS_COUNT = 200;
    private static final String JOBS = "fi.fluxfleet.jobs";
    private static final String EVENTS = "fi.fluxfleet.events";
    private static final String DLQ = "fi.fluxfleet.jobs.dlq";
    private static final String GROUP = "fluxfleet-fi-workers";
    private static final String RETRY_GROUP = "fluxfleet-fi-workers-retry";
    private static final int WORKERS = 3;
    private static final int CRASH_LOOP_CAP = 3;
    // covers render timeout (1 min) + upload budget (30 s) + publish budget (4 x 30 s + pauses): checked at startup
    private static final Duration GRACE = Duration.ofMinutes(4);

    @TempDir
    static Path workDir;

    static LocalStack stack;
    static Path jar;
    static Path model;
    static final Process[] workers = new Process[WORKERS];
    static final int[] ports = new int[WORKERS];
    static final int[] generation = new int[WORKERS];
    static final Random random = new Random(42);
    static int sigkills;
    static int haltsObserved;
    static int livenessRestarts;

    @AfterAll
    static void stopAll() throws Exception {
        for (Process worker : workers) {
            if (worker != null) {
                worker.destroyForcibly();
            }
        }
        for (Process worker : workers) {
            if (worker != null) {
                worker.waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Timeout(value = 14, unit = TimeUnit.MINUTES)
    void theFleetSurvivesCrashesOutagesAndPoison() throws Exception {
        long t0 = System.nanoTime();
        jar = Path.of(System.getProperty("fluxfleet.worker.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "no packaged worker at " + jar.toAbsolutePath() + " (run mvn verify)");
        stack = LocalStack.start(workDir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(PARTITIONS));
        FleetStackResource.createTopics(stack.bootstrapServers(), List.of(JOBS, EVENTS), PARTITIONS);
        model = workDir.resolve("tiny-model");
        TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
        for (int i = 0; i < WORKERS; i++) {
            ports[i] = freePort();
            start(i);
        }
        for (int i = 0; i < WORKERS; i++) {
            awaitReady(i, Duration.ofMinutes(4));
        }
        long tReady = System.nanoTime();

        List<String> valid = new ArrayList<>();
        for (int i = 0; i < JOBS_COUNT; i++) {
            valid.add(String.format("fi-%03d", i));
        }
        String haltId = HALT_ID;
        String badJsonKey = "poison-json";
        Map<String, List<JobEvent>> events = new HashMap<>();
        Map<String, Integer> started = new HashMap<>();
        int outagesKafka = 0;
        int outagesS3 = 0;
        int sigterms = 0;
        long sigtermExitMs = -1;
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(stack.bootstrapServers());
             KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(stack.bootstrapServers(), EVENTS)) {
            // Phase 1: a quarter of the jobs and both poisons, then SIGKILL a random worker mid-run
            send(producer, valid.subList(0, 50));
            KafkaTestClients.send(producer, JOBS, haltId, job(haltId, "halt the worker"));
            KafkaTestClients.send(producer, JOBS, badJsonKey, "{\"jobId\": \"poison-json\", \"prompt\": ");
            pump(consumer, events, started, Duration.ofSeconds(3));
            kill9(random.nextInt(WORKERS));
            // Phase 2: S3 down for 12 s while jobs arrive
            send(producer, valid.subList(50, 100));
            stack.stopS3();
            pump(consumer, events, started, Duration.ofSeconds(12));
            stack.startS3();
            outagesS3++;
            // Phase 3: another SIGKILL, then the broker goes down and comes back
            send(producer, valid.subList(100, 150));
            pump(consumer, events, started, Duration.ofSeconds(2));
            kill9(random.nextInt(WORKERS));
            stack.stopKafka();
            pump(consumer, events, started, Duration.ofSeconds(8));
            stack.startKafka();
            outagesKafka++;
            // Phase 4: the rest, a third SIGKILL, and one graceful stop (SIGTERM) with a job in flight
            send(producer, valid.subList(150, JOBS_COUNT));
            pump(consumer, events, started, Duration.ofSeconds(3));
            kill9(random.nextInt(WORKERS));
            pump(consumer, events, started, Duration.ofSeconds(2));
            // Graceful stop mid-render: slow jobs (12 steps x 250 ms), SIGTERM the worker rendering one
            List<String> slow = new ArrayList<>();
            for (int i = 0; i < PARTITIONS; i++) {
                String id = "fi-slow-" + i;
                slow.add(id);
                KafkaTestClients.send(producer, JOBS, id, job(id, "slow").replace("\"steps\": 1", "\"steps\": 100")
                        .replace("\"width\": 64, \"height\": 64", "\"width\": 256, \"height\": 256"));
            }
            valid.addAll(slow);
            String inFlight = null;
            int victim = -1;
            long waitStart = System.nanoTime();
            while (inFlight == null && System.nanoTime() - waitStart < TimeUnit.MINUTES.toNanos(3)) {
                pump(consumer, events, started, Duration.ofMillis(300));
                for (String id : slow) {
                    List<JobEvent> es = events.getOrDefault(id, List.of());
                    if (es.size() == 1 && es.get(0) instanceof JobEvent.Started st) {
                        int w = Integer.parseInt(st.workerId().substring("fi-worker-".length()));
                        if (workers[w].isAlive()) {
                            inFlight = id;
                            victim = w;
                            break;
                        }
                    }
                }
            }
            assertTrue(inFlight != null, "no slow job seen in flight");
            long s0 = System.nanoTime();
            workers[victim].destroy(); // SIGTERM
            boolean exited = workers[victim].waitFor(GRACE.toSeconds() + 20, TimeUnit.SECONDS);
            sigtermExitMs = (System.nanoTime() - s0) / 1_000_000;
            assertTrue(exited, "SIGTERMed worker did not exit within the grace");
            assertEquals(0, workers[victim].exitValue(), "SIGTERMed worker exit code\n" + tail(victim));
            sigterms++;
            start(victim);
            String sigtermJob = inFlight;
            String sigtermWorker = "fi-worker-" + victim;

            // Drain: until every valid job has completed and the halt poison is dead-lettered
            long drainStart = System.nanoTime();
            Set<String> need = new LinkedHashSet<>(valid);
            long deadline = System.nanoTime() + Duration.ofMinutes(7).toNanos();
            while (System.nanoTime() < deadline) {
                pump(consumer, events, started, Duration.ofSeconds(2));
                need.removeIf(id -> events.getOrDefault(id, List.of()).stream().anyMatch(e -> e instanceof JobEvent.Completed));
                boolean haltDone = events.getOrDefault(haltId, List.of()).stream().anyMatch(KafkaTestClients::isTerminal);
                if (need.isEmpty() && haltDone) {
                    break;
                }
            }
            long drainMs = (System.nanoTime() - drainStart) / 1_000_000;
            pump(consumer, events, started, Duration.ofSeconds(3)); // late duplicates
            assertTrue(need.isEmpty(), need.size() + " jobs never completed: " + need.stream().limit(20).toList()
                    + "\nworker logs:\n" + tail(0) + "\n" + tail(1) + "\n" + tail(2));

            // Every valid job: image in storage, all completed events agree on object and sha256
            MinioClient s3 = MinioClient.builder().endpoint(stack.s3Endpoint())
                    .credentials(stack.accessKey(), stack.secretKey()).region(LocalStack.S3_REGION).build();
            int duplicatesCompleted = 0;
            int duplicatesRendered = 0;
            for (String id : valid) {
                List<JobEvent.Completed> done = events.get(id).stream().filter(JobEvent.Completed.class::isInstance)
                        .map(JobEvent.Completed.class::cast).toList();
                assertEquals(1, done.stream().map(c -> c.key() + " " + c.sha256()).distinct().count(),
                        id + ": completed events disagree");
                s3.statObject(StatObjectArgs.builder().bucket(done.get(0).bucket()).object(done.get(0).key()).build());
                duplicatesCompleted += done.size() - 1;
                duplicatesRendered += Math.max(0, started.getOrDefault(id, 0) - 1);
            }

            // The job in flight at SIGTERM was finished by the stopping worker, and rendered once
            List<JobEvent> graceful = events.get(sigtermJob);
            assertEquals(1, started.getOrDefault(sigtermJob, 0), sigtermJob + " rendered once: " + graceful);
            assertTrue(graceful.stream().anyMatch(e -> e instanceof JobEvent.Completed c
                    && c.workerId().equals(sigtermWorker)), sigtermJob + " completed by the stopping worker: " + graceful);

            // Poisons are in the DLQ with their reasons, after at most the cap
            Map<String, Map<String, String>> dlq = readDlq(Set.of(haltId, badJsonKey), Duration.ofSeconds(60));
            assertEquals("CRASH_LOOP", dlq.get(haltId).get(RecordHeaders.H_REASON), dlq.toString());
            assertEquals("INVALID_JSON", dlq.get(badJsonKey).get(RecordHeaders.H_REASON), dlq.toString());
            int haltRenders = started.getOrDefault(haltId, 0);
            assertTrue(haltRenders <= CRASH_LOOP_CAP, "poison rendered " + haltRenders + " times");
            assertTrue(events.getOrDefault(badJsonKey, List.of()).stream().noneMatch(e -> e instanceof JobEvent.Started));

            // No worker left crash-looping: all alive and live; consumer groups without lag
            for (int i = 0; i < WORKERS; i++) {
                supervise(i);
                awaitReady(i, Duration.ofMinutes(3));
            }
            long lag = awaitNoLag(Duration.ofSeconds(90));
            assertEquals(0, lag, "consumer group lag at the end");
            long totalMs = (System.nanoTime() - t0) / 1_000_000;
            writeFigures(valid.size(), sigkills, haltsObserved, sigterms, sigtermExitMs, outagesKafka, outagesS3,
                    duplicatesRendered, duplicatesCompleted, haltRenders, drainMs, totalMs,
                    (tReady - t0) / 1_000_000, livenessRestarts);
        }
    }

    // ---- the fleet ----------------------------------------------------------------------------------

    static void start(int i) throws IOException {
        generation[i]++;
        Path log = workDir.resolve("worker-" + i + "-" + generation[i] + ".log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
                "-Dfluxfleet.worker-id=fi-worker-" + i,
                "-Dfluxfleet.model-dir=" + model,
                "-Dfluxfleet.default-acceleration=none",
                "-Dfluxfleet.topics.jobs=" + JOBS,
                "-Dfluxfleet.topics.events=" + EVENTS,
                "-Dfluxfleet.topics.retry=fi.fluxfleet.jobs.retry",
                "-Dfluxfleet.topics.dlq=" + DLQ,
                "-Dfluxfleet.topics.control=fi.fluxfleet.control",
                "-Dfluxfleet.topics.attempts=fi.fluxfleet.attempts",
                "-Dfluxfleet.storage.bucket=fi-renders",
                "-Dfluxfleet.storage.presign-expiry=PT0S",
                "-Dfluxfleet.progress.every-steps=100",
                "-Dfluxfleet.reliability.backoff=PT0.5S",
                "-Dfluxfleet.reliability.max-backoff=PT5S",
                "-Dfluxfleet.reliability.crash-loop-cap=" + CRASH_LOOP_CAP,
                "-Dfluxfleet.render.timeout=PT1M",
                "-Dfluxfleet.render.publish-timeout=PT30S",
                "-Dfluxfleet.reliability.publish-attempts=4",
                "-Dfluxfleet.reliability.upload-budget=PT30S",
                "-Dfluxfleet.shutdown.grace=PT" + GRACE.toSeconds() + "S",
                "-Dmp.messaging.incoming.jobs.group.id=" + GROUP,
                "-Dmp.messaging.incoming.retries.group.id=" + RETRY_GROUP,
                "-Dmp.messaging.incoming.jobs.session.timeout.ms=6000",
                "-Dmp.messaging.incoming.jobs.heartbeat.interval.ms=1500",
                "-Dmp.messaging.incoming.retries.session.timeout.ms=6000",
                "-Dmp.messaging.incoming.retries.heartbeat.interval.ms=1500",
                "-Dkafka.bootstrap.servers=" + stack.bootstrapServers(),
                "-Dquarkus.minio.host=" + stack.s3Endpoint(),
                "-Dquarkus.minio.access-key=" + stack.accessKey(),
                "-Dquarkus.minio.secret-key=" + stack.secretKey(),
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + ports[i],
                "-jar", jar.toAbsolutePath().toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        workers[i] = process;
    }

    static void kill9(int i) throws Exception {
        if (workers[i].isAlive()) {
            workers[i].destroyForcibly(); // SIGKILL
            workers[i].waitFor(20, TimeUnit.SECONDS);
            sigkills++;
        }
        start(i);
    }

    /** Restarts a worker that died (the halt poison) or whose liveness is DOWN, as Kubernetes would. */
    static void supervise(int i) throws IOException {
        if (!workers[i].isAlive()) {
            if (workers[i].exitValue() == 137) {
                haltsObserved++;
            }
            start(i);
            return;
        }
        try {
            HttpResponse<String> live = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()
                    .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ports[i] + "/q/health/live"))
                            .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (live.statusCode() == 503 && live.body().contains("\"DOWN\"")) {
                workers[i].destroyForcibly();
                livenessRestarts++;
                try {
                    workers[i].waitFor(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                start(i);
            }
        } catch (IOException | InterruptedException e) {
            // starting up: no HTTP yet
        }
    }

    static void send(KafkaProducer<String, byte[]> producer, List<String> ids) throws Exception {
        for (String id : ids) {
            KafkaTestClients.send(producer, JOBS, id, job(id, "fault suite " + id));
        }
    }

    static String job(String id, String prompt) {
        return "{\"jobId\": \"" + id + "\", \"prompt\": \"" + prompt + "\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 1, \"seed\": 1, \"acceleration\": \"none\"}";
    }

    /** Reads events for a while (supervising the workers meanwhile). */
    /** A job that kills every worker that starts it (the test kills the worker on its started event). */
    static final String HALT_ID = "poison-halt";

    static void pump(KafkaConsumer<String, byte[]> consumer, Map<String, List<JobEvent>> events,
            Map<String, Integer> started, Duration duration) throws IOException {
        long end = System.nanoTime() + duration.toNanos();
        long nextSupervise = 0;
        while (System.nanoTime() < end) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.key() == null) {
                    continue;
                }
                JobEvent e = JobJson.readEvent(r.value());
                events.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(e);
                if (e instanceof JobEvent.Started st) {
                    started.merge(r.key(), 1, Integer::sum);
                    if (HALT_ID.equals(r.key())) {
                        // the poison: every worker that starts it dies at once (SIGKILL, exit 137)
                        workers[Integer.parseInt(st.workerId().substring("fi-worker-".length()))].destroyForcibly();
                    }
                }
            }
            if (System.nanoTime() > nextSupervise) {
                for (int i = 0; i < WORKERS; i++) {
                    supervise(i);
                }
                nextSupervise = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            }
        }
    }

    static Map<String, Map<String, String>> readDlq(Set<String> keys, Duration timeout) {
        Map<String, Map<String, String>> found = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(stack.bootstrapServers(), DLQ)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!found.keySet().containsAll(keys) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && keys.contains(r.key())) {
                        Map<String, String> h = new HashMap<>();
                        for (Header header : r.headers()) {
                            h.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                        }
                        found.put(r.key(), h);
                    }
                }
            }
        }
        assertTrue(found.keySet().containsAll(keys), "DLQ records missing: " + found.keySet());
        return found;
    }

    /** Waits until both consumer groups have committed up to the end of their topics; returns the lag left. */
    static long awaitNoLag(Duration timeout) throws Exception {
        long lag = Long.MAX_VALUE;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                lag = 0;
                for (String group : List.of(GROUP, RETRY_GROUP)) {
                    Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                            .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
                    String topic = group.equals(GROUP) ? JOBS : "fi.fluxfleet.jobs.retry";
                    Set<TopicPartition> parts = new HashSet<>();
                    for (var p : admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
                            .get(topic).partitions()) {
                        parts.add(new TopicPartition(topic, p.partition()));
                    }
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    parts.forEach(p -> latest.put(p, OffsetSpec.latest()));
                    Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                            .get(10, TimeUnit.SECONDS);
                    for (TopicPartition p : parts) {
                        long end = ends.get(p).offset();
                        OffsetAndMetadata c = committed.get(p);
                        lag += end - (c == null ? 0 : c.offset());
                    }
                }
                if (lag == 0) {
                    return 0;
                }
                Thread.sleep(1000);
            }
        }
        return lag;
    }

    static void awaitReady(int i, Duration timeout) throws Exception {
        WorkerReadiness.await("worker " + i, ports[i], timeout, () -> supervise(i), () -> tail(i));
    }

    static void writeFigures(int jobs, int kills, int halts, int sigterms, long sigtermExitMs, int kafkaOutages,
            int s3Outages, int duplicatesRendered, int duplicatesCompleted, int haltRenders, long drainMs,
            long totalMs, long startupMs, int livenessRestarts) throws IOException {
        String text = """
                # Fault-injection run (written by FaultInjectionIT)

                Last run: %s, %d cores. See docs/reliability.md for what the suite does and asserts.

                | figure | value |
                |---|---|
                | valid jobs (64x64, 1 step, acceleration none) | %d (all completed, images in storage) |
                | poison jobs | 2 (one halts the worker JVM when rendered, one is not JSON): both dead-lettered |
                | worker processes | %d |
                | SIGKILLs by the suite | %d |
                | worker JVMs halted by the poison job | %d (renders of the poison: %d, cap %d) |
                | SIGTERM (graceful stop, exit 0) | %d, exited after %d ms (grace %d s) |
                | restarts for liveness DOWN | %d |
                | Kafka broker outages survived | %d |
                | S3 outages survived (12 s each) | %d |
                | duplicate renders (started events beyond the first) | %d |
                | duplicate completed events (same object and sha256) | %d |
                | time to drain after the last fault | %.1f s |
                | fleet start-up (3 workers ready) | %.1f s |
                | whole run | %.1f s |
                """.formatted(Instant.now(), Runtime.getRuntime().availableProcessors(), jobs, WORKERS, kills, halts,
                haltRenders, CRASH_LOOP_CAP, sigterms, sigtermExitMs, GRACE.toSeconds(), livenessRestarts,
                kafkaOutages, s3Outages, duplicatesRendered, duplicatesCompleted, drainMs / 1000.0, startupMs / 1000.0,
                totalMs / 1000.0);
        Path docs = Path.of("docs");
        if (Files.isDirectory(docs)) {
            Files.writeString(docs.resolve("reliability-run.md"), text, StandardCharsets.UTF_8);
        }
        System.out.println(text);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String tail(int i) {
        try {
            Path log = workDir.resolve("worker-" + i + "-" + generation[i] + ".log");
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "== worker " + i + " ==\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
