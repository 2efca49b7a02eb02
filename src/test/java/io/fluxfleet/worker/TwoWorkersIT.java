package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers in one consumer group share a jobs topic of four partitions: every job is rendered
 * exactly once and the completed events name both workers.
 *
 * <p>The workers are the packaged application ({@code quarkus-app/quarkus-run.jar}, built by
 * {@code mvn verify} before the integration tests), each in its own JVM, as in production: two
 * Quarkus apps cannot share one test JVM, and separate processes also prove the group coordination
 * over the real broker. On a 2-core machine the two JVMs plus the broker and S3Proxy are the load.
 */
class TwoWorkersIT {

    private static final int PARTITIONS = 4;
    private static final String JOBS = "it.fluxfleet.jobs";
    private static final String EVENTS = "it.fluxfleet.events";
    private static final String GROUP = "fluxfleet-it-workers";
    private static final List<String> WORKERS = List.of("worker-a", "worker-b");

    @TempDir
    static Path workDir;

    static LocalStack stack;
    static final List<Process> workers = new ArrayList<>();
    static final List<Path> logs = new ArrayList<>();
    static final List<Integer> httpPorts = new ArrayList<>();

    @BeforeAll
    static void startStackAndWorkers() throws Exception {
        PackagedApps.jar(); // fails early when the app was not packaged
        stack = LocalStack.start(workDir.resolve("stack"), LocalStack.Settings.defaults().withDefaultPartitions(PARTITIONS));
        FleetStackResource.createTopics(stack.bootstrapServers(), List.of(JOBS, EVENTS), PARTITIONS);
        Path model = workDir.resolve("tiny-model");
        TinyCheckpoint.write(model, TinyCheckpoint.Format.DIFFUSERS);
        for (String id : WORKERS) {
            int port = PackagedApps.freePort();
            Path log = workDir.resolve(id + ".log");
            List<String> command = PackagedApps.javaCommand("1g", stack);
            command.addAll(List.of(
                    "-Dfluxfleet.worker-id=" + id,
                    "-Dfluxfleet.model-dir=" + model,
                    "-Dfluxfleet.topics.jobs=" + JOBS,
                    "-Dfluxfleet.topics.events=" + EVENTS,
                    "-Dfluxfleet.storage.bucket=it-renders",
                    "-Dmp.messaging.incoming.jobs.group.id=" + GROUP,
                    "-Dquarkus.profile=demo", // the local stack's credentials and the default tenant
                    "-Dquarkus.http.port=" + port));
            workers.add(PackagedApps.start(command, log));
            logs.add(log);
            httpPorts.add(port);
        }
    }

    @AfterAll
    static void stopAll() throws Exception {
        WorkerReadiness.stopAll(workers, stack);
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void everyJobIsRenderedOnceAndBothWorkersTakeJobs() throws Exception {
        for (int i = 0; i < WORKERS.size(); i++) {
            awaitReady(i, Duration.ofMinutes(4));
        }
        // Send only once both are members with partitions: a rebalance mid-render would hand a
        // job in flight to the other worker (that redelivery is the reliability issue's business).
        awaitGroupOfTwo(Duration.ofMinutes(2));

        // Two jobs per partition, so both workers' partitions get work whatever the assignment.
        List<String> jobIds = jobIdsCoveringPartitions(2);
        Map<String, List<EventRecord>> events;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(stack.bootstrapServers(), EVENTS);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(stack.bootstrapServers())) {
            for (String jobId : jobIds) {
                KafkaTestClients.send(producer, JOBS, jobId, """
                        {"jobId": "%s", "prompt": "shared work", "width": 64, "height": 64, "steps": 2,
                         "acceleration": "none"}""".formatted(jobId));
            }
            events = KafkaTestClients.awaitTerminal(consumer, new LinkedHashSet<>(jobIds), Duration.ofMinutes(4));
            // Late duplicates would show up after the first terminal event: read a little longer.
            Map<String, List<EventRecord>> late = drain(consumer, new LinkedHashSet<>(jobIds), Duration.ofSeconds(3));
            late.forEach((k, v) -> events.get(k).addAll(v));
        }

        Map<String, Integer> completedBy = new HashMap<>();
        Set<String> workerIds = new TreeSet<>();
        for (String jobId : jobIds) {
            List<EventRecord> forJob = events.get(jobId);
            List<JobEvent> terminal = forJob.stream().map(EventRecord::event).filter(KafkaTestClients::isTerminal).toList();
            assertEquals(1, terminal.size(), jobId + " has one terminal event: " + KafkaTestClients.summary(forJob));
            JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, terminal.get(0),
                    KafkaTestClients.summary(forJob));
            long started = forJob.stream().filter(r -> r.event() instanceof JobEvent.Started).count();
            assertEquals(1, started, jobId + " was started once: " + KafkaTestClients.summary(forJob));
            assertEquals("/fluxfleet/worker/" + done.workerId(), forJob.get(forJob.size() - 1).header("ce_source"));
            workerIds.add(done.workerId());
            completedBy.merge(done.workerId(), 1, Integer::sum);
        }
        System.out.println("TwoWorkersIT: jobs per worker " + completedBy);
        assertEquals(new TreeSet<>(WORKERS), workerIds, "completed events name both workers: " + completedBy);
    }

    /** jobIds whose Kafka partition (default partitioner: murmur2 of the key) covers each partition n times. */
    private static List<String> jobIdsCoveringPartitions(int perPartition) {
        Map<Integer, Integer> count = new HashMap<>();
        List<String> ids = new ArrayList<>();
        for (int i = 0; ids.size() < PARTITIONS * perPartition; i++) {
            String id = "shared-" + System.nanoTime() % 100000 + "-" + i;
            int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            if (count.merge(partition, 1, Integer::sum) <= perPartition) {
                ids.add(id);
            }
        }
        return ids;
    }

    private static Map<String, List<EventRecord>> drain(KafkaConsumer<String, byte[]> consumer, Set<String> keys,
            Duration duration) {
        Map<String, List<EventRecord>> extra = new HashMap<>();
        long end = System.nanoTime() + duration.toNanos();
        while (System.nanoTime() < end) {
            consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                if (record.key() != null && keys.contains(record.key())) {
                    extra.computeIfAbsent(record.key(), k -> new ArrayList<>()).add(new EventRecord(record.key(),
                            io.fluxfleet.job.JobJson.readEvent(record.value()), Map.of(), record.partition(),
                            record.offset()));
                }
            });
        }
        return extra;
    }

    private static void awaitReady(int worker, Duration timeout) throws Exception {
        WorkerReadiness.awaitReady(WORKERS.get(worker), httpPorts.get(worker), workers.get(worker), logs.get(worker), timeout);
    }

    private static void awaitGroupOfTwo(Duration timeout) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()))) {
            long deadline = System.nanoTime() + timeout.toNanos();
            String last = "";
            while (System.nanoTime() < deadline) {
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(GROUP)).all()
                        .get(10, TimeUnit.SECONDS).get(GROUP);
                Set<TopicPartition> assigned = group.members().stream()
                        .flatMap(m -> m.assignment().topicPartitions().stream()).collect(Collectors.toSet());
                long membersWithWork = group.members().stream()
                        .filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
                last = group.groupState() + " " + group.members().stream().map(MemberDescription::clientId).toList()
                        + " " + assigned;
                if (group.members().size() == 2 && membersWithWork == 2 && assigned.size() == PARTITIONS
                        && "stable".equalsIgnoreCase(String.valueOf(group.groupState()))) {
                    return;
                }
                Thread.sleep(500);
            }
            throw new AssertionError("consumer group " + GROUP + " never had two members sharing " + PARTITIONS
                    + " partitions: " + last);
        }
    }
}
