package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.storage.ObjectStore;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 13: tenant B can neither read nor overwrite tenant A's jobs, whatever jobId and prefix it
 * sends; idempotency answers only the same tenant's same request; events go to per-tenant topics
 * and carry presigned URLs only where the tenant allows. Real broker, real S3 server, real engine.
 */
@QuarkusTest
@TestProfile(TenantIsolationTest.TwoTenants.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TenantIsolationTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final String ACME_EVENTS = FleetStackResource.EVENTS_TOPIC + ".acme";
    private static final String GLOBEX_EVENTS = FleetStackResource.EVENTS_TOPIC + ".globex";

    // Constants, not random: the profile and the test instance live in different class loaders.
    private static final String WEBHOOK_SECRET = "acme-webhook-signing-secret-7f3c";
    private static final Path LOG_FILE = Path.of("target", "tenant-isolation-test.log").toAbsolutePath();

    /** Two tenants (acme with presigned URLs, globex without) and demo, events per tenant. */
    public static class TwoTenants implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Files.deleteIfExists(LOG_FILE);
                Path file = Files.createTempFile("fluxfleet-tenants", ".yaml");
                file.toFile().deleteOnExit();
                Files.writeString(file, """
                        tenants:
                          - id: demo
                            buckets: [test-renders]
                            presign: {enabled: true, expiry: PT10M}
                          - id: acme
                            keyPrefixes: [renders/acme, shared/acme]
                            presign: {enabled: true, expiry: PT10M}
                            webhookSecret: %s
                          - id: globex
                            keyPrefixes: [renders/globex]
                        """.formatted(WEBHOOK_SECRET));
                return Map.of("fluxfleet.tenants.file", file.toString(),
                        "fluxfleet.tenants.event-topic-per-tenant", "true",
                        "quarkus.log.file.enabled", "true",
                        "quarkus.log.file.path", LOG_FILE.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    ObjectStore store;

    @BeforeAll
    static void perTenantTopics() {
        FleetStackResource.createTopicsIfMissing(FleetStackResource.stack().bootstrapServers(),
                List.of(ACME_EVENTS, GLOBEX_EVENTS, FleetStackResource.EVENTS_TOPIC + ".demo"), FleetStackResource.PARTITIONS);
    }

    private static String job(String jobId, String tenant, String prompt, String extra) {
        return """
                {"jobId": "%s", "tenant": "%s", "prompt": "%s", "width": 64, "height": 64, "steps": 2, "seed": 5,
                 "acceleration": "none"%s}""".formatted(jobId, tenant, prompt, extra);
    }

    /** Sends the job and returns the n-th terminal event of its key on the topic (1-based). */
    private JobEvent run(String topic, String jobId, String json, int n) throws Exception {
        try (KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, json);
        }
        return terminalEvents(topic, jobId, n).get(n - 1);
    }

    private List<JobEvent> terminalEvents(String topic, String jobId, int atLeast) {
        List<JobEvent> terminal = new ArrayList<>();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, topic)) {
            while (terminal.size() < atLeast && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    JobEvent event = JobJson.readEvent(record.value());
                    if (jobId.equals(record.key()) && KafkaTestClients.isTerminal(event)) {
                        terminal.add(event);
                    }
                }
            }
        }
        assertTrue(terminal.size() >= atLeast, "only " + terminal.size() + " terminal events of " + jobId + " on " + topic);
        return terminal;
    }

    /** Every key on a topic, read to its end. */
    private List<String> keysOn(String topic) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, topic)) {
            for (int emptyPolls = 0; emptyPolls < 5; ) {
                var records = consumer.poll(Duration.ofMillis(300));
                emptyPolls = records.isEmpty() ? emptyPolls + 1 : 0;
                records.forEach(r -> keys.add(r.key()));
            }
        }
        return keys;
    }

    @Test
    void tenantBCanNeitherReadNorOverwriteTenantAsJob() throws Exception {
        String jobId = "acme:2030-01-01:" + UUID.randomUUID(); // the guessable form the integration guide used to suggest
        JobEvent.Completed acme = assertInstanceOf(JobEvent.Completed.class,
                run(ACME_EVENTS, jobId, job(jobId, "acme", "acme secret product", ""), 1));
        assertEquals("renders/acme/" + jobId + ".png", acme.key(), "the key includes the tenant");
        assertNotNull(acme.presignedUrl(), "acme allows presigned URLs");
        byte[] acmeImage = store.get(FleetStackResource.BUCKET, acme.key()).orElseThrow();
        byte[] acmeSidecar = store.get(FleetStackResource.BUCKET, acme.sidecarKey()).orElseThrow();

        // globex with the same jobId, aiming at acme's prefixes: refused at intake, nothing read. Three
        // checks stand in the way (TenantIntake's prefix allowlist, TenantKeys in the store step, the
        // sidecar's tenant); each has its own failing-without-it test (TenantIntakeTest,
        // TenantKeysTest, aSidecarOfAnotherTenantUnderTheKeyIsAConflict).
        for (String prefix : List.of("renders/acme", "shared/acme", "renders/acme/x", "renders")) {
            JobEvent.Failed refused = assertInstanceOf(JobEvent.Failed.class, run(GLOBEX_EVENTS, jobId,
                    job(jobId, "globex", "globex", ",\"output\": {\"keyPrefix\": \"" + prefix + "\"}"),
                    List.of("renders/acme", "shared/acme", "renders/acme/x", "renders").indexOf(prefix) + 1));
            assertEquals(ErrorCode.INVALID_OUTPUT, refused.code(), prefix + ": " + refused.message());
        }

        // globex with the same jobId and its own prefix: its own render, under its own key, no URL.
        JobEvent.Completed globex = assertInstanceOf(JobEvent.Completed.class,
                run(GLOBEX_EVENTS, jobId, job(jobId, "globex", "globex cat", ""), 5));
        assertEquals("renders/globex/" + jobId + ".png", globex.key());
        assertNotEquals(acme.sha256(), globex.sha256(), "globex got its own image, not acme's");
        // Mutation: ResultStore presigning by the fleet's presign-expiry instead of the tenant's setting made this fail.
        assertNull(globex.presignedUrl(), "globex does not allow presigned URLs");
        assertNull(globex.presignedUrlExpiresAt());

        // acme's objects are untouched, and no globex event went to acme's topic or the shared one.
        assertArrayEquals(acmeImage, store.get(FleetStackResource.BUCKET, acme.key()).orElseThrow());
        assertArrayEquals(acmeSidecar, store.get(FleetStackResource.BUCKET, acme.sidecarKey()).orElseThrow());
        assertEquals(1, terminalEvents(ACME_EVENTS, jobId, 1).size(), "acme's topic has acme's job only");
        // (EventPublisher.topicFor ignoring the tenant would also make every run() above time out.)
        assertFalse(keysOn(FleetStackResource.EVENTS_TOPIC).contains(jobId), "per-tenant events stay off the shared topic");
    }

    @Test
    void theSameJobIdWithAnotherRequestIsAConflictAndOverwritesNothing() throws Exception {
        String jobId = "conflict-" + UUID.randomUUID();
        JobEvent.Completed first = assertInstanceOf(JobEvent.Completed.class,
                run(ACME_EVENTS, jobId, job(jobId, "acme", "first", ""), 1));
        byte[] image = store.get(FleetStackResource.BUCKET, first.key()).orElseThrow();
        byte[] sidecar = store.get(FleetStackResource.BUCKET, first.sidecarKey()).orElseThrow();

        // The same request again (a redelivery): answered from the sidecar, same image.
        JobEvent.Completed again = assertInstanceOf(JobEvent.Completed.class,
                run(ACME_EVENTS, jobId, job(jobId, "acme", "first", ""), 2));
        assertEquals(first.sha256(), again.sha256());

        // Another request under the same jobId. Mutation: EarlierResults not comparing the request
        // hash made this complete with the first job's image.
        JobEvent.Failed conflict = assertInstanceOf(JobEvent.Failed.class,
                run(ACME_EVENTS, jobId, job(jobId, "acme", "second", ""), 3));
        assertEquals(ErrorCode.JOB_ID_CONFLICT, conflict.code(), conflict.message());
        assertFalse(conflict.retryable());
        assertArrayEquals(image, store.get(FleetStackResource.BUCKET, first.key()).orElseThrow(), "image overwritten");
        assertArrayEquals(sidecar, store.get(FleetStackResource.BUCKET, first.sidecarKey()).orElseThrow(), "sidecar overwritten");
    }

    @Test
    void aSidecarOfAnotherTenantUnderTheKeyIsAConflict() throws Exception {
        // What a changed tenants file can leave behind: globex's key holds a sidecar written for acme.
        // Mutation: EarlierResults not comparing the sidecar's tenant made this answer from it.
        String jobId = "moved-" + UUID.randomUUID();
        String request = job(jobId, "globex", "a cat", "");
        var valid = (io.fluxfleet.job.ValidationResult.Valid) new io.fluxfleet.job.JobValidator(
                io.fluxfleet.job.JobValidator.Limits.DEFAULTS, new io.fluxfleet.job.JobValidator.Scope("globex", "renders/globex"))
                .validate(request.getBytes(StandardCharsets.UTF_8));
        byte[] planted = ("{\"version\":1,\"jobId\":\"" + jobId + "\",\"tenant\":\"acme\",\"requestSha256\":\""
                + io.fluxfleet.worker.store.Sidecar.requestSha256(valid.request())
                + "\",\"key\":\"renders/globex/" + jobId + ".png\",\"bytes\":1}").getBytes(StandardCharsets.UTF_8);
        store.put(FleetStackResource.BUCKET, "renders/globex/" + jobId + ".json", planted, "application/json");
        JobEvent.Failed conflict = assertInstanceOf(JobEvent.Failed.class, run(GLOBEX_EVENTS, jobId, request, 1));
        assertEquals(ErrorCode.JOB_ID_CONFLICT, conflict.code(), conflict.message());
        assertArrayEquals(planted, store.get(FleetStackResource.BUCKET, "renders/globex/" + jobId + ".json").orElseThrow());
        assertFalse(store.exists(FleetStackResource.BUCKET, "renders/globex/" + jobId + ".png"), "nothing rendered");
    }

    @Test
    void unknownTenantsAreRejectedOnTheSharedTopic() throws Exception {
        String jobId = "initech-" + UUID.randomUUID();
        JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class,
                run(FleetStackResource.EVENTS_TOPIC, jobId, job(jobId, "initech", "p", ""), 1));
        assertEquals(ErrorCode.UNKNOWN_TENANT, failed.code());
    }

    @ConfigProperty(name = "quarkus.minio.secret-key")
    String s3SecretKey;

    @Test
    @Order(Integer.MAX_VALUE)
    void noLogLineOrEventCarriesASecretOrAPresignedSignature() throws Exception {
        // Runs last: the other tests rendered, presigned (acme), rejected and conflicted jobs.
        // Mutation: logging the completed event (JobJson.toJson(completed)) in Outcomes.completed made
        // this fail (X-Amz-Signature in the log).
        List<String> secrets = List.of(s3SecretKey, WEBHOOK_SECRET, "X-Amz-Signature", "X-Amz-Credential");
        String log = Files.readString(LOG_FILE);
        assertTrue(log.contains("completed on cpu"), "the log file holds the run");
        for (String secret : secrets) {
            assertFalse(log.contains(secret), "the log carries " + secret);
        }
        int presigned = 0;
        for (String topic : List.of(FleetStackResource.EVENTS_TOPIC, ACME_EVENTS, GLOBEX_EVENTS)) {
            try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, topic)) {
                for (int emptyPolls = 0; emptyPolls < 5; ) {
                    var records = consumer.poll(Duration.ofMillis(300));
                    emptyPolls = records.isEmpty() ? emptyPolls + 1 : 0;
                    for (ConsumerRecord<String, byte[]> record : records) {
                        JobEvent event = JobJson.readEvent(record.value());
                        String text = new String(record.value(), StandardCharsets.UTF_8);
                        if (event instanceof JobEvent.Completed c && c.presignedUrl() != null) {
                            presigned++; // the one place a URL may appear: the field of a tenant that enabled it
                            text = text.replace(JobJson.toJson(c.presignedUrl()), "\"\"");
                        }
                        for (String secret : secrets) {
                            assertFalse(text.contains(secret), topic + " event " + record.key() + " carries " + secret);
                        }
                        record.headers().forEach(h -> secrets.forEach(secret -> assertFalse(
                                new String(h.value(), StandardCharsets.UTF_8).contains(secret), "header " + h.key())));
                    }
                }
            }
        }
        assertTrue(presigned > 0, "the run presigned at least one URL (acme)");
    }
}
