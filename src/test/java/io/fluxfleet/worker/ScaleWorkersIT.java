package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scale 2 → 3 → 2 packaged workers (one consumer group, cooperative-sticky, static membership) while
 * jobs render. A de-duplicating consumer (by jobId, and by CloudEvents id) checks that every job
 * completed, with one sha256, and none failed for good; a concurrency check over the workers' own event
 * timestamps checks that no jobId was rendering on two workers at once (a render: from its
 * {@code started} to that worker's last event of the job); and a job whose partition moved while it
 * rendered was answered from the sidecar by its new owner after waiting on the old owner's lease.
 *
 * <p>Opt-in with the fault suite ({@code mvn -B verify -Pfaults}; alone after a package:
 * {@code mvn -B -o test -Dtest=ScaleWorkersIT -Dsurefire.failIfNoSpecifiedTests=false}): on the shared
 * 2-core machine at load ~30 it passed in 505 s (12 jobs, one answered from the sidecar after the
 * scale-up); it still needs timing on an idle machine, where renders may end before the third worker
 * joins, so that no job is in flight when partitions move (then the sidecar assertion fails).
 *
 * <p>Mutation run (s24): with JobIntake.awaitRenderElsewhere not waiting, the test failed, but at the sidecar
 * assertion of a run in which no job was in flight when partitions moved (12 renders for 12 jobs, none
 * twice), so it did not show the overlap assertion catching a concurrent render; that still needs a run
 * that moves a job mid-render with the wait removed.
 */
class ScaleWorkersIT {

    private static final int PARTITIONS = 6;
    private static final String JOBS = "scale.fluxfleet.jobs";
    private static final String EVENTS = "scale.fluxfleet.events";
    private static final String GROUP = "fluxfleet-scale-workers";

    /** Kept after the run (target/), for the workers' logs. */
    static Path dir;

    static LocalStack stack;
    static final List<Process> workers = new ArrayList<>();
    static final List<Path> logs = new ArrayList<>();

    @AfterAll
    static void stopAll() throws Exception {
        for (Process w : workers) {
            w.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void scalingTwoThreeTwoRendersEachJobOnceAtATimeAndCompletesEveryJob() throws Exception {
        dir = Files.createDirectories(Path.of("target", "scale-workers-it", String.valueOf(System.currentTimeMillis())));
        Path jar = Path.of(System.getProperty("fluxfleet.worker.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no packaged worker at " + jar + " (run mvn verify)");
        stack = LocalStack.start(dir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(PARTITIONS));
        FleetStackResource.createTopics(stack.bootstrapServers(), List.of(JOBS, EVENTS), PARTITIONS);
        Path model = dir.resolve("tiny-model");
        TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ports.add(start(jar, model, i));
        }
        for (int i = 0; i < 2; i++) {
            awaitReady(i, ports.get(i));
        }

        List<ConsumerRecord<String, byte[]>> events = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(stack.bootstrapServers(), EVENTS)) {
                while (!Thread.currentThread().isInterrupted()) {
                    consumer.poll(Duration.ofMillis(200)).forEach(events::add);
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // done
            }
        }, "scale-events");
        reader.start();

        List<String> jobIds = new ArrayList<>();
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(stack.bootstrapServers())) {
            for (int i = 0; i < 12; i++) {
                String jobId = "scale-" + i + "-" + System.nanoTime() % 100000;
                jobIds.add(jobId);
                KafkaTestClients.send(producer, JOBS, jobId, """
                        {"jobId": "%s", "prompt": "scaling %d", "width": 64, "height": 64, "steps": 8,
                         "acceleration": "none"}""".formatted(jobId, i));
            }
        }
        // 2 -> 3 while the first jobs render: partitions (and the records not yet committed) move.
        awaitCount(events, JobEvent.STARTED, 2, Duration.ofMinutes(3));
        ports.add(start(jar, model, 2));
        awaitReady(2, ports.get(2));
        // 3 -> 2 once the third worker took part: SIGTERM, it drains and leaves.
        awaitStartedBy(events, "scale-worker-2", Duration.ofMinutes(3));
        workers.get(2).destroy();
        assertTrue(workers.get(2).waitFor(3, TimeUnit.MINUTES), "the removed worker drained");
        assertEquals(0, workers.get(2).exitValue(), "the removed worker's drain finished (exit 0)");

        Map<String, List<JobEvent>> byJob = awaitAllCompleted(events, jobIds, Duration.ofMinutes(5));
        reader.interrupt();
        reader.join(5000);

        // The de-duplicating consumer: one result per jobId, every copy of an event under one ce_id.
        Set<String> ceIds = new HashSet<>();
        int copies = 0;
        for (ConsumerRecord<String, byte[]> r : events) {
            var id = r.headers().lastHeader("ce_id");
            if (id != null && !ceIds.add(new String(id.value(), StandardCharsets.UTF_8))) {
                copies++;
            }
        }
        int sidecarAnswers = 0;
        for (String jobId : jobIds) {
            List<JobEvent> es = byJob.get(jobId);
            assertTrue(es.stream().noneMatch(e -> e instanceof JobEvent.Failed f && !f.retryable()), jobId + ": " + es);
            Set<String> shas = es.stream().filter(e -> e instanceof JobEvent.Completed)
                    .map(e -> ((JobEvent.Completed) e).sha256()).collect(Collectors.toSet());
            assertEquals(1, shas.size(), jobId + " completed with one sha256: " + shas);
            assertNoConcurrentRenders(jobId, es);
        }
        for (Path log : logs) {
            sidecarAnswers += (int) Files.readAllLines(log, StandardCharsets.UTF_8).stream()
                    .filter(l -> l.contains("answered from its sidecar")).count();
        }
        System.out.printf("ScaleWorkersIT: %d jobs, completed by %s, %d repeated event copies (same ce_id), %d answered"
                + " from a sidecar%n", jobIds.size(), byJob.values().stream().flatMap(List::stream)
                .filter(e -> e instanceof JobEvent.Completed).map(JobEvent::workerId)
                .collect(Collectors.groupingBy(w -> w, Collectors.counting())), copies, sidecarAnswers);
        assertTrue(sidecarAnswers > 0, "no job was redelivered to a new owner and answered from the sidecar"
                + " (the lease wait): the scaling moved no job in flight");
    }

    /** Renders of one job per worker: [started, that worker's last event of the job]; none may overlap. */
    private static void assertNoConcurrentRenders(String jobId, List<JobEvent> events) {
        record Render(String worker, Instant from, Instant to) {
        }
        Map<String, Render> open = new HashMap<>();
        List<Render> renders = new ArrayList<>();
        for (JobEvent e : events) {
            String key = e.workerId() + "/" + e.attempt();
            if (e instanceof JobEvent.Started) {
                open.put(key, new Render(e.workerId(), e.timestamp(), e.timestamp()));
            } else if (open.containsKey(key)) {
                Render r = open.get(key);
                open.put(key, new Render(r.worker(), r.from(), e.timestamp().isAfter(r.to()) ? e.timestamp() : r.to()));
            }
        }
        renders.addAll(open.values());
        for (Render a : renders) {
            for (Render b : renders) {
                if (a != b && !a.worker().equals(b.worker())) {
                    assertTrue(!a.from().isBefore(b.to()) || !b.from().isBefore(a.to()),
                            jobId + " rendered on two workers at once: " + a + " and " + b);
                }
            }
        }
    }

    private static Map<String, List<JobEvent>> awaitAllCompleted(List<ConsumerRecord<String, byte[]>> events,
            List<String> jobIds, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, List<JobEvent>> byJob = new HashMap<>();
            for (ConsumerRecord<String, byte[]> r : events) {
                byJob.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(JobJson.readEvent(r.value()));
            }
            boolean all = jobIds.stream().allMatch(id -> byJob.getOrDefault(id, List.of()).stream()
                    .anyMatch(e -> e instanceof JobEvent.Completed));
            if (all) {
                Thread.sleep(3000); // late copies
                return awaitNothingMore(events);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not every job completed within " + timeout + ": " + byJob.keySet().size()
                        + " seen; " + diagnostics());
            }
            Thread.sleep(500);
        }
    }

    private static Map<String, List<JobEvent>> awaitNothingMore(List<ConsumerRecord<String, byte[]>> events) {
        Map<String, List<JobEvent>> byJob = new HashMap<>();
        for (ConsumerRecord<String, byte[]> r : events) {
            byJob.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(JobJson.readEvent(r.value()));
        }
        return byJob;
    }

    private static void awaitCount(List<ConsumerRecord<String, byte[]>> events, String type, int n, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (events.stream().filter(r -> new String(r.value(), StandardCharsets.UTF_8).contains(type)).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(n + " x " + type + " not seen within " + timeout + "; " + diagnostics());
            }
            Thread.sleep(200);
        }
    }

    private static void awaitStartedBy(List<ConsumerRecord<String, byte[]>> events, String worker, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (events.stream().map(r -> JobJson.readEvent(r.value()))
                .noneMatch(e -> e instanceof JobEvent.Started && e.workerId().equals(worker))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(worker + " started no job within " + timeout + "; " + diagnostics());
            }
            Thread.sleep(200);
        }
    }

    private static int start(Path jar, Path model, int index) throws IOException {
        int port = freePort();
        Path log = dir.resolve("scale-worker-" + index + ".log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx640m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Dai.djl.offline=true",
                "-Dquarkus.profile=demo",
                "-Dfluxfleet.worker-id=scale-worker-" + index,
                "-Dfluxfleet.model-dir=" + model,
                "-Dfluxfleet.default-acceleration=none",
                "-Dfluxfleet.progress.every-steps=2",
                "-Dfluxfleet.topics.jobs=" + JOBS,
                "-Dfluxfleet.topics.events=" + EVENTS,
                "-Dfluxfleet.storage.bucket=scale-renders",
                "-Dmp.messaging.incoming.jobs.group.id=" + GROUP,
                // A removed worker's partitions move after this (static membership keeps them for a session).
                "-Dmp.messaging.incoming.jobs.session.timeout.ms=10000",
                "-Dkafka.bootstrap.servers=" + stack.bootstrapServers(),
                "-Dquarkus.minio.host=" + stack.s3Endpoint(),
                "-Dquarkus.minio.access-key=" + stack.accessKey(),
                "-Dquarkus.minio.secret-key=" + stack.secretKey(),
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port,
                "-jar", jar.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        p.getOutputStream().close();
        workers.add(p);
        logs.add(log);
        return port;
    }

    private static void awaitReady(int index, int port) throws Exception {
        WorkerReadiness.await("scale-worker-" + index, port, Duration.ofMinutes(4), () -> {
            if (!workers.get(index).isAlive()) {
                throw new AssertionError("scale-worker-" + index + " exited: " + tail(logs.get(index)));
            }
        }, () -> tail(logs.get(index)));
    }

    private static String diagnostics() {
        return logs.stream().map(ScaleWorkersIT::tail).collect(Collectors.joining("\n"));
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "== " + log.getFileName() + "\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
