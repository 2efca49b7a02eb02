package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.StatObjectArgs;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The happy path against the real broker and the real S3 server: a plain producer sends jobs, a
 * plain consumer sees started, progress and completed, a plain MinIO client fetches the PNG and its
 * sidecar.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class WorkerEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "quarkus.minio.host")
    String s3Endpoint;

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/q/metrics")
    URL metrics;

    @Test
    void rendersUploadsAndReportsAJob() throws Exception {
        String jobId = "e2e-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a lighthouse at dusk", "width": 128, "height": 64, "steps": 3,
                 "seed": 42, "acceleration": "none", "labels": {"team": "tests"}}""".formatted(jobId);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);

            // started, one progress per step (every-steps = 1), completed; all keyed by jobId on one partition
            assertEquals(List.of(JobEvent.STARTED, JobEvent.PROGRESS, JobEvent.PROGRESS, JobEvent.PROGRESS,
                    JobEvent.COMPLETED), events.stream().map(e -> e.event().cloudEventType()).toList(),
                    KafkaTestClients.summary(events));
            assertEquals(1, events.stream().map(EventRecord::partition).distinct().count());
            for (EventRecord record : events) {
                assertEquals(jobId, record.key());
                assertEquals(record.event().cloudEventType(), record.header("ce_type"));
                assertEquals("/fluxfleet/worker/" + FleetStackResource.WORKER_ID, record.header("ce_source"));
                assertEquals(jobId, record.header("ce_subject"));
                assertEquals("1.0", record.header("ce_specversion"));
                assertNotNull(record.header("ce_id"));
                assertEquals(FleetStackResource.WORKER_ID, record.event().workerId());
            }
            assertEquals("cpu", ((JobEvent.Started) events.get(0).event()).device());
            JobEvent.Progress last = (JobEvent.Progress) events.get(3).event();
            assertEquals(3, last.step());
            assertEquals(3, last.totalSteps());
            assertEquals(1.0, last.fraction(), 1e-9);

            JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, events.get(4).event());
            assertEquals(FleetStackResource.BUCKET, done.bucket());
            assertEquals("renders/demo/" + jobId + ".png", done.key(), "the default tenant's prefix");
            assertEquals("renders/demo/" + jobId + ".json", done.sidecarKey());
            assertEquals("image/png", done.contentType());
            assertEquals(42L, done.seed());
            assertEquals("dev", done.model());
            assertEquals(ModelKind.DEV, done.modelKind());
            assertEquals(Acceleration.NONE, done.acceleration());
            assertEquals(3, done.steps());
            assertEquals(3L * 8 * 4, done.tokenEvaluations()); // 3 steps x (128/16) x (64/16) tokens
            assertEquals(List.of(96L), done.tokenEvaluationsPerStage());
            assertTrue(done.flopsSavedFraction() > 0.9, "3 of 50 steps saves most FLOPs: " + done.flopsSavedFraction());
            assertEquals(Map.of("team", "tests"), done.labels());
            assertTrue(done.timings().totalMs() >= done.timings().denoiseMs());

            // The object, fetched with a plain S3 client: a 128x64 PNG whose sha256 is the event's
            MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint)
                    .credentials("fluxfleet-local", "fluxfleet-local-secret").region("us-east-1").build();
            byte[] png = get(s3, done.bucket(), done.key());
            assertEquals(done.bytes(), png.length);
            assertEquals(done.sha256(), sha256(png));
            assertEquals("image/png", s3.statObject(StatObjectArgs.builder().bucket(done.bucket()).object(done.key())
                    .build()).contentType());
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
            assertNotNull(image, "not a PNG");
            assertEquals(128, image.getWidth());
            assertEquals(64, image.getHeight());

            JsonNode sidecar = new ObjectMapper().readTree(get(s3, done.bucket(), done.sidecarKey()));
            assertEquals(sha256(png), sidecar.get("sha256").asText());
            assertEquals(png.length, sidecar.get("bytes").asLong());
            assertEquals(42L, sidecar.get("seed").asLong());
            assertEquals(jobId, sidecar.get("jobId").asText());
            assertEquals("a lighthouse at dusk", sidecar.path("request").path("prompt").asText());
            assertEquals(3, sidecar.path("request").path("steps").asInt());
            assertEquals("tests", sidecar.path("request").path("labels").path("team").asText());
            assertTrue(sidecar.path("timings").has("denoiseMs"));

            // The presigned URL works without credentials
            assertNotNull(done.presignedUrl());
            assertTrue(done.presignedUrlExpiresAt().isAfter(done.timestamp()));
            HttpResponse<byte[]> viaUrl = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(done.presignedUrl())).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertEquals(200, viaUrl.statusCode());
            assertArrayEquals(png, viaUrl.body());
        }
    }

    @Test
    void fleetDefaultIsJitAndASeedIsChosenAndReported() throws Exception {
        String jobId = "e2e-jit-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a red fox in the snow", "width": 128, "height": 128}""".formatted(jobId);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, events.get(events.size() - 1).event(),
                    KafkaTestClients.summary(events));
            assertEquals(Acceleration.JIT_4X, done.acceleration());
            assertTrue(done.seed() >= 0);
            assertEquals(3, done.tokenEvaluationsPerStage().size(), "JiT runs three stages");
            assertTrue(done.flopsSavedFraction() > 0.5, "jit-4x saves most FLOPs: " + done.flopsSavedFraction());
            List<JobEvent.Progress> progress = events.stream().map(EventRecord::event)
                    .filter(JobEvent.Progress.class::isInstance).map(JobEvent.Progress.class::cast).toList();
            assertEquals(done.steps(), progress.size());
            for (int i = 1; i < progress.size(); i++) {
                assertTrue(progress.get(i).fraction() >= progress.get(i - 1).fraction(), "fraction goes up");
            }
        }
    }

    @Test
    void raluRendersThroughTheFleet() throws Exception {
        String jobId = "e2e-ralu-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a harbour at night", "width": 128, "height": 128, "seed": 3,
                 "acceleration": "ralu-4x", "output": {"keyPrefix": "renders/demo/jpeg", "format": "jpeg"},
                 "maxSequenceLength": 256, "trace": true}""".formatted(jobId);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            JobEvent.Completed done = assertInstanceOf(JobEvent.Completed.class, events.get(events.size() - 1).event(),
                    KafkaTestClients.summary(events));
            assertEquals(Acceleration.RALU_4X, done.acceleration());
            assertEquals("renders/demo/jpeg/" + jobId + ".jpg", done.key());
            assertEquals("image/jpeg", done.contentType());
            assertTrue(done.flopsSavedFraction() > 0.5, "ralu-4x saves most FLOPs: " + done.flopsSavedFraction());
            MinioClient s3 = MinioClient.builder().endpoint(s3Endpoint)
                    .credentials("fluxfleet-local", "fluxfleet-local-secret").region("us-east-1").build();
            byte[] jpeg = get(s3, done.bucket(), done.key());
            assertEquals(done.sha256(), sha256(jpeg));
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(jpeg));
            assertNotNull(image, "not a JPEG");
            assertEquals(128, image.getWidth());
            assertEquals(128, image.getHeight());

            // the T5 length and the sampler trace beside the image, keys in the sidecar
            JsonNode sidecar = new ObjectMapper().readTree(get(s3, done.bucket(), done.sidecarKey()));
            assertEquals(256, sidecar.path("textTokens").asInt());
            List<String> keys = new java.util.ArrayList<>();
            sidecar.path("traceKeys").forEach(k -> keys.add(k.asText()));
            String base = "renders/demo/jpeg/" + jobId + "+";
            assertEquals(List.of(base + "trace.json", base + "trace.safetensors", base + "trace.png"), keys);
            JsonNode index = new ObjectMapper().readTree(get(s3, done.bucket(), keys.get(0)));
            assertEquals("ralu-4x", index.path("sampler").asText());
            assertEquals(18, index.path("calls").size(), "one entry per model call");
            assertEquals(3, index.path("stages").size());
            assertNotNull(ImageIO.read(new ByteArrayInputStream(get(s3, done.bucket(), keys.get(2)))), "trace.png");
            assertTrue(get(s3, done.bucket(), keys.get(1)).length > 8, "trace.safetensors");
        }
    }

    @Test
    void readyAfterWarmUpAndMetricsExposed() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        HttpResponse<String> health;
        do {
            health = http.send(HttpRequest.newBuilder(ready.toURI()).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (health.statusCode() == 200) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < deadline);
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("fluxfleet-model"), health.body());
        assertTrue(health.body().contains("cpu IDLE") || health.body().contains("cpu BUSY"), health.body());

        String text = http.send(HttpRequest.newBuilder(metrics.toURI()).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String meter : List.of("fluxfleet_engine_renders_total", "fluxfleet_queue_wait_seconds",
                "fluxfleet_job_overhead_seconds", "fluxfleet_slots_busy")) {
            assertTrue(text.contains(meter), meter + " missing from /q/metrics");
        }
    }

    private static byte[] get(MinioClient s3, String bucket, String key) throws Exception {
        try (InputStream in = s3.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return in.readAllBytes();
        }
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
