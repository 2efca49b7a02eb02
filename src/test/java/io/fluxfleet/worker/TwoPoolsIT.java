package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.routing.LaneBounds;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import java.io.IOException;
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
        PackagedApps.jar(); // fails early when the app was not packaged
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
            start(pool.getValue(), "demo", catalog, List.of(
                    "-Dfluxfleet.model-dir=" + workDir.resolve("tiny-" + model),
                    "-Dfluxfleet.pool.topic=" + COMMON + "." + model,
                    "-Dfluxfleet.pool.group=it-workers-" + model,
                    "-Dfluxfleet.topics.retry=" + COMMON + "." + model + ".retry"));
        }
        start("router", "demo,router", catalog, List.of());
    }

    private static void start(String id, String profile, Path catalog, List<String> extra) throws IOException {
        int port = PackagedApps.freePort();
        Path log = workDir.resolve(id + ".log");
        List<String> command = PackagedApps.javaCommand("768m", stack);
        command.addAll(List.of(
                "-Dfluxfleet.worker-id=" + id,
                "-Dfluxfleet.catalog.file=" + catalog,
                "-Dfluxfleet.topics.jobs=" + COMMON,
                "-Dfluxfleet.topics.events=" + EVENTS,
                "-Dfluxfleet.storage.bucket=it-renders",
                "-Dquarkus.profile=" + profile, // demo: the local stack's credentials and the default tenant
                "-Dquarkus.http.port=" + port));
        command.addAll(extra);
        Process process = PackagedApps.start(command, log);
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
            WorkerReadiness.awaitReady(id, ports.get(id), byId.get(id), logs.get(id), Duration.ofMinutes(4));
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
}
