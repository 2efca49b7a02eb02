package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.fluxfleet.worker.intake.AttemptLog;
import io.fluxfleet.worker.outcome.EventPublisher;
import io.fluxfleet.worker.render.Seeds;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * What a consumer of the fleet can rely on across redeliveries and rebalances, against the real
 * broker and S3 server: deterministic seeds and results, deterministic CloudEvents ids, the crash
 * counter's rules, and the consumer group settings that keep rebalances small.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class DeliveryGuaranteesTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(2);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "quarkus.minio.host")
    String s3Endpoint;

    @Inject
    AttemptLog attempts;

    @Inject
    FleetConfig config;

    @Inject
    FleetMetrics metrics;

    private List<EventRecord> run(String jobId, String value) throws Exception {
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, value);
            return KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
        }
    }

    /**
     * Mutation check: a random seed for seedless jobs (the old ThreadLocalRandom) fails the seed and
     * sha256 assertions; a random CloudEvents id (the old UUID) fails the id assertions.
     */
    @Test
    void aJobWithoutSeedRendersTheSameBytesEveryTimeAndItsEventsHaveDeterministicIds() throws Exception {
        String jobId = "det-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a red kite", "width": 64, "height": 64, "steps": 2,
                 "acceleration": "none", "output": {"keyPrefix": "%s"}}""";
        // Two renders of one jobId: different key prefixes, so the second is rendered, not answered.
        List<EventRecord> first = run(jobId, request.formatted(jobId, "renders/demo/det-a"));
        JobEvent.Completed a = assertInstanceOf(JobEvent.Completed.class, first.get(first.size() - 1).event());
        JobEvent.Completed b;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request.formatted(jobId, "renders/demo/det-b"));
            b = awaitCompletedUnder(consumer, jobId, "renders/demo/det-b/");
        }
        assertEquals(Seeds.fromJobId(jobId), a.seed(), "the seed is derived from the jobId");
        assertEquals(a.seed(), b.seed());
        assertEquals(a.sha256(), b.sha256(), "every render of a job is bit-identical");

        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint)
                .credentials("fluxfleet-local", "fluxfleet-local-secret").region("us-east-1").build();
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(a.bucket()).object(a.sidecarKey()).build())) {
            assertEquals(a.sha256(), new ObjectMapper().readTree(in).path("sha256").asText(),
                    "the sidecar names the event's sha256");
        }

        for (EventRecord r : first) {
            JobEvent e = r.event();
            String expected = jobId + "/" + e.cloudEventType() + "/" + e.attempt()
                    + (e instanceof JobEvent.Progress p ? "/" + p.step() : "");
            assertEquals(expected, r.header("ce_id"));
            assertEquals(expected, EventPublisher.cloudEventId(e, jobId));
        }
        assertEquals(first.size(), first.stream().map(r -> r.header("ce_id")).distinct().count(),
                "distinct events have distinct ids");
    }

    /**
     * Two renders of one job (a rebalance moved it mid-render): the result stored first stands, the
     * later render answers with it and is counted as a duplicate render, not a crash. The test plays
     * the other worker: it stores a result for the job while this worker renders it. Mutation check:
     * without the check for a stored result in ResultStore.store, the completed event named this
     * render's sha256 and no duplicate was counted.
     */
    @Test
    void aDuplicateRenderAnswersWithTheResultStoredFirstAndIsCounted() throws Exception {
        String jobId = "dup-" + UUID.randomUUID();
        long before = metrics.duplicateRenders();
        String otherSha;
        JobEvent.Completed done;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            String request = """
                    {"jobId": "%s", "prompt": "twice [[test:slow]]", "width": 64, "height": 64, "steps": 12,
                     "seed": 9, "acceleration": "none"}""".formatted(jobId);
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            boolean started = false;
            while (!started && System.nanoTime() < deadline) {
                for (var r : consumer.poll(Duration.ofMillis(100))) {
                    started |= jobId.equals(r.key()) && io.fluxfleet.job.JobJson.readEvent(r.value()) instanceof JobEvent.Started;
                }
            }
            assertTrue(started, "never started");
            otherSha = storeAsAnotherWorker(jobId, request);
            done = awaitCompletedUnder(consumer, jobId, "renders/");
        }
        assertEquals(otherSha, done.sha256(), "the result stored first stands");
        assertEquals("worker-elsewhere", done.workerId());
        assertEquals(before + 1, metrics.duplicateRenders());
        assertEquals(0, attempts.crashes(jobId));
    }

    /** Uploads an image and its sidecar for jobId as another worker would have; returns the image's sha256. */
    private String storeAsAnotherWorker(String jobId, String request) throws Exception {
        // The other worker's sidecar names the same tenant (the test profile's default) and request hash.
        var valid = (io.fluxfleet.job.ValidationResult.Valid) new io.fluxfleet.job.JobValidator(
                io.fluxfleet.job.JobValidator.Limits.DEFAULTS, new io.fluxfleet.job.JobValidator.Scope("demo", "renders/demo"))
                .validate(request.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        String requestSha256 = io.fluxfleet.worker.store.Sidecar.requestSha256(valid.request());
        MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint)
                .credentials("fluxfleet-local", "fluxfleet-local-secret").region("us-east-1").build();
        byte[] png = io.fluxfleet.worker.store.ImageEncoding.encode(
                new java.awt.image.BufferedImage(64, 64, java.awt.image.BufferedImage.TYPE_INT_RGB),
                io.fluxfleet.job.OutputFormat.PNG);
        String sha = io.fluxfleet.worker.store.ImageEncoding.sha256(png);
        put(s3, "renders/demo/" + jobId + ".png", png, "image/png");
        String sidecar = """
                {"version": 1, "jobId": "%s", "bucket": "%s", "key": "renders/demo/%s.png", "contentType": "image/png",
                 "bytes": %d, "sha256": "%s", "width": 64, "height": 64, "seed": 9, "model": "dev",
                 "acceleration": "none", "sampler": "euler", "steps": 12, "tokenEvaluations": 192,
                 "tokenEvaluationsPerStage": [192], "flopsSavedFraction": 0.5,
                 "timings": {"queueWaitMs": 0, "textEncodeMs": 0, "denoiseMs": 0, "decodeMs": 0, "encodeMs": 0,
                 "uploadMs": 0, "totalMs": 0}, "workerId": "worker-elsewhere", "device": "cpu", "attempt": 1,
                 "createdAt": "2026-01-01T00:00:00Z", "tenant": "demo", "requestSha256": "%s"}""".formatted(jobId,
                FleetStackResource.BUCKET, jobId, png.length, sha, requestSha256);
        put(s3, "renders/demo/" + jobId + ".json", sidecar.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                "application/json");
        return sha;
    }

    private static void put(MinioClient s3, String key, byte[] bytes, String contentType) throws Exception {
        s3.putObject(io.minio.PutObjectArgs.builder().bucket(FleetStackResource.BUCKET).object(key)
                .stream(new java.io.ByteArrayInputStream(bytes), bytes.length, -1).contentType(contentType).build());
    }

    /**
     * Concurrent writers never overwrite each other (one key per worker and job), and the view reads
     * the topic up to now before it answers. Mutation check: writing every worker's count under the
     * jobId key alone made the own start replace the other worker's entry (crashes 0, not 1); without
     * the sync in crashes() the first assertion saw 0 right after the write.
     */
    @Test
    void theCrashCounterAddsEveryWritersStartsAndReadsUpToNowBeforeDeciding() throws Exception {
        String jobId = "crash-count-" + UUID.randomUUID();
        writeAttemptsEntry(jobId, "worker-x", 1, 0);
        assertEquals(1, attempts.crashes(jobId), "the view was not caught up before deciding");
        attempts.claim(jobId, Duration.ofSeconds(30));
        attempts.confirm(jobId, Duration.ofSeconds(30));
        assertEquals(1, attempts.crashes(jobId), "this worker's running start is no crash, worker-x's is");
        writeAttemptsEntry(jobId, "worker-y", 1, 0);
        assertEquals(2, attempts.crashes(jobId));
        attempts.end(jobId);
        assertEquals(2, attempts.crashes(jobId));
        attempts.forget(jobId);
    }

    /**
     * Ended starts (completed, failed, retried, handed back) are no crashes; a live lease elsewhere is a
     * render in progress, not a crash. Mutation check: end() without closing the start made the second
     * assertion 1; an end() that closed the start in memory only left {"open":1} on the topic.
     */
    @Test
    void onlyStartsThatNeitherEndedNorRenewTheirLeaseAreCrashes() throws Exception {
        String jobId = "graceful-" + UUID.randomUUID();
        attempts.claim(jobId, Duration.ofSeconds(30));
        attempts.confirm(jobId, Duration.ofSeconds(30));
        assertEquals("{\"open\":1", lastAttemptsValue(jobId + "/" + FleetStackResource.WORKER_ID).substring(0, 9));
        attempts.end(jobId);
        assertEquals(0, attempts.crashes(jobId), "a start that ended is not a crash");
        assertEquals(null, lastAttemptsValue(jobId + "/" + FleetStackResource.WORKER_ID),
                "other workers (and this one after a restart) must see the start closed");
        writeAttemptsEntry(jobId, "worker-live", 1, System.currentTimeMillis());
        assertEquals(0, attempts.crashes(jobId), "a render with a live lease is not a crash");
        assertTrue(attempts.renderingElsewhere(jobId));
        writeAttemptsEntry(jobId, "worker-live", 1,
                System.currentTimeMillis() - config.reliability().leaseRenewal().multipliedBy(5).toMillis());
        assertEquals(1, attempts.crashes(jobId), "a lapsed lease is a crash");
        assertFalse(attempts.renderingElsewhere(jobId));
        attempts.forget(jobId);
    }

    /**
     * Rebalances move as little as possible: cooperative-sticky and static membership (group.instance.id
     * = the worker id). Mutation check: without kafka-configuration=fluxfleet-consumer the member had no
     * instance id; without the assignor setting the group's protocol was "range".
     */
    @Test
    void theWorkersJoinTheirGroupsAsStaticMembersWithTheCooperativeStickyAssignor() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            for (String group : List.of("fluxfleet-workers", "fluxfleet-workers-retry")) {
                ConsumerGroupDescription d = null;
                long deadline = System.nanoTime() + TIMEOUT.toNanos();
                while (System.nanoTime() < deadline) {
                    d = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
                    if (!d.members().isEmpty()) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertFalse(d.members().isEmpty(), group + " has no member");
                assertEquals("cooperative-sticky", d.partitionAssignor(), group);
                for (MemberDescription m : d.members()) {
                    assertEquals(FleetStackResource.WORKER_ID, m.groupInstanceId().orElse(null), group);
                }
            }
        }
    }

    private static JobEvent.Completed awaitCompletedUnder(KafkaConsumer<String, byte[]> consumer, String jobId,
            String keyPrefix) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            for (var r : consumer.poll(Duration.ofMillis(200))) {
                if (jobId.equals(r.key()) && io.fluxfleet.job.JobJson.readEvent(r.value()) instanceof JobEvent.Completed c
                        && c.key().startsWith(keyPrefix)) {
                    return c;
                }
            }
        }
        throw new AssertionError("no completed event of " + jobId + " under " + keyPrefix);
    }

    /** The last value of key on the attempts topic ("" when the key was never written, null for a tombstone). */
    private String lastAttemptsValue(String key) {
        String last = "";
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, config.topics().attempts())) {
            var end = consumer.endOffsets(consumer.assignment());
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (var r : consumer.poll(Duration.ofMillis(200))) {
                    if (key.equals(r.key())) {
                        last = r.value() == null ? null : new String(r.value(), java.nio.charset.StandardCharsets.UTF_8);
                    }
                }
            }
        }
        return last;
    }

    private void writeAttemptsEntry(String jobId, String workerId, int open, long renewedAtMs) throws Exception {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, config.topics().attempts(), jobId + "/" + workerId,
                    "{\"open\": " + open + ", \"renewedAt\": " + renewedAtMs + "}");
        }
    }
}
