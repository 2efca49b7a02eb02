package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.routing.LaneBounds;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A two-pool local fleet from the packaged application: a dev pool on the tiny dev checkpoint, a
 * schnell pool on the tiny schnell checkpoint and the router, each its own JVM, one model catalog.
 * Jobs of both models and all three priorities, produced to the common topic, each complete on the
 * pool of their model (the completed event names the worker).
 */
class TwoPoolsIT {

    private static final String COMMON = "it.pools.jobs";
    private static final String EVENTS = "it.pools.events";
    private static final Map<String, String> POOL_OF = Map.of("dev", "pool-dev", "schnell", "pool-schnell");

    @TempDir
    static Path workDir;

    static LocalStack stack;
    static final List<Process> processes = new ArrayList<>();
    static final Map<String, Process> byId = new HashMap<>();
    static final Map<String, Path> logs = new HashMap<>();
    static final Map<String, Integer> ports = new HashMap<>();

    @BeforeAll
    static void startFleet() throws Exception {
        Path jar = Path.of(System.getProperty("fluxfleet.worker.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "no packaged worker at " + jar.toAbsolutePath() + " (run mvn verify)");
        stack = LocalStack.start(workDir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(2));
        FleetStackResource.createTopics(stack.bootstrapServers(), List.of(EVENTS), 2);
        Path catalog = workDir.resolve("models.yaml");
        StringBuilder yaml = new StringBuilder("models:\n");
        for (String model : POOL_OF.keySet()) {
            Path dir = workDir.resolve("tiny-" + model);
            TinyCheckpoint.write(dir, TinyCheckpoint.Format.DIFFUSERS, model.equals("dev"));
            yaml.append("  ").append(model).append(": {dir: ").append(dir).append(", topic: ").append(COMMON)
                    .append('.').append(model).append("}\n");
        }
        Files.writeString(catalog, yaml);
        for (Map.Entry<String, String> pool : POOL_OF.entrySet()) {
            String model = pool.getKey();
            start(jar, pool.getValue(), "demo", catalog, List.of(
                    "-Dfluxfleet.model-dir=" + workDir.resolve("tiny-" + model),
                    "-Dfluxfleet.pool.topic=" + COMMON + "." + model,
                    "-Dfluxfleet.pool.group=it-workers-" + model,
                    "-Dfluxfleet.topics.retry=" + COMMON + "." + model + ".retry"));
        }
        start(jar, "router", "demo,router", catalog, List.of());
    }

    private static void start(Path jar, String id, String profile, Path catalog, List<String> extra) throws IOException {
        int port = freePort();
        Path log = workDir.resolve(id + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m", "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dfluxfleet.worker-id=" + id,
                "-Dfluxfleet.catalog.file=" + catalog,
                "-Dfluxfleet.topics.jobs=" + COMMON,
                "-Dfluxfleet.topics.events=" + EVENTS,
                "-Dfluxfleet.storage.bucket=it-renders",
                "-Dkafka.bootstrap.servers=" + stack.bootstrapServers(),
                "-Dquarkus.minio.host=" + stack.s3Endpoint(),
                "-Dquarkus.profile=" + profile, // demo: the local stack's credentials and the default tenant
                "-Dquarkus.minio.access-key=" + stack.accessKey(),
                "-Dquarkus.minio.secret-key=" + stack.secretKey(),
                "-Dquarkus.http.host=127.0.0.1",
                "-Dquarkus.http.port=" + port));
        command.addAll(extra);
        command.addAll(List.of("-jar", jar.toAbsolutePath().toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        processes.add(process);
        byId.put(id, process);
        logs.put(id, log);
        ports.put(id, port);
    }

    @AfterAll
    static void stopAll() throws Exception {
        WorkerReadiness.stopAll(processes, stack);
    }

    /**
     * Mutation check: with the schnell pool started on the dev pool's topic, it refused to start (the
     * catalog's dev pool renders from another directory) and the test failed.
     */
    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aMixOfDevAndSchnellJobsCompletesOnTheirPools() throws Exception {
        for (String id : List.of("pool-dev", "pool-schnell", "router")) {
            WorkerReadiness.await(id, ports.get(id), Duration.ofMinutes(4), () -> {
                if (!byId.get(id).isAlive()) {
                    throw new AssertionError(id + " exited (" + byId.get(id).exitValue() + "):\n" + tail(logs.get(id)));
                }
            }, () -> tail(logs.get(id)));
        }
        Map<String, String> modelOf = new HashMap<>();
        try (KafkaConsumer<String, byte[]> events = KafkaTestClients.eventsConsumer(stack.bootstrapServers(), EVENTS);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(stack.bootstrapServers())) {
            int n = 0;
            for (String model : List.of("dev", "schnell", "schnell", "dev", "schnell", "dev")) {
                int priority = new int[] {9, 5, 1}[n % 3];
                String id = "pools-" + model + "-" + (n++);
                modelOf.put(id, model);
                String lane = LaneBounds.DEFAULT.laneOf(priority).topicOf(COMMON); // the common topic's lanes
                KafkaTestClients.send(producer, lane, id, """
                        {"jobId": "%s", "prompt": "two pools", "width": 64, "height": 64, "steps": 4, "seed": 5,
                         "acceleration": "none", "model": "%s", "priority": %d}""".formatted(id, model, priority));
            }
            Map<String, List<EventRecord>> byJob = KafkaTestClients.awaitTerminal(events, modelOf.keySet(),
                    Duration.ofMinutes(4));
            for (Map.Entry<String, String> job : modelOf.entrySet()) {
                List<EventRecord> e = byJob.get(job.getKey());
                JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, e.get(e.size() - 1).event(),
                        job.getKey() + ": " + KafkaTestClients.summary(e));
                assertEquals(POOL_OF.get(job.getValue()), done.workerId(), job.getKey() + " rendered by its model's pool");
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
