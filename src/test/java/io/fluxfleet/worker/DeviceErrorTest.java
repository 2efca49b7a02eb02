package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.worker.intake.IntakeGate;
import io.fluxfleet.worker.render.EngineFailures;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * A GPU that keeps failing: liveness goes DOWN (Kubernetes restarts the pod) and the worker takes no
 * job meanwhile. Its own app: it ends with liveness DOWN.
 */
@QuarkusTest
@TestProfile(DeviceErrorTest.OwnWorker.class)
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class DeviceErrorTest {

    /** A worker of its own (this test leaves it DOWN). */
    public static class OwnWorker implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("fluxfleet.reliability.backoff", "PT0.3S");
        }
    }

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @TestHTTPResource("/q/health/live")
    URL live;

    @Inject
    IntakeGate gate;

    private static String job(String jobId, String prompt) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"" + prompt + "\", \"width\": 64, \"height\": 64,"
                + " \"steps\": 2, \"seed\": 7, \"acceleration\": \"none\"}";
    }

    /**
     * Mutation check: without the liveness condition in IntakeGate.closedBecause() the job's third
     * attempt and the job sent after liveness went DOWN were started on the failing device.
     */
    @Test
    void aPersistentDeviceErrorTurnsLivenessDownAndPausesIntake() throws Exception {
        assertEquals(EngineFailures.Kind.OUT_OF_MEMORY,
                EngineFailures.classify(new RuntimeException("x", new IllegalStateException("CUDA error: out of memory"))));
        assertEquals(EngineFailures.Kind.DEVICE_ERROR,
                EngineFailures.classify(new RuntimeException("CUDA error: an illegal memory access was encountered")));
        assertEquals(EngineFailures.Kind.OTHER, EngineFailures.classify(new RuntimeException("shape mismatch")));
        String jobId = "device-" + UUID.randomUUID();
        String next = "device-next-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, job(jobId, "broken gpu [[test:device-error]]"));
            // two attempts fail with device errors (device-errors-for-down = 2): liveness goes DOWN
            HttpResponse<String> down = null;
            long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (System.nanoTime() < until && (down == null || down.statusCode() != 503)) {
                Thread.sleep(200);
                down = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(live.toString())).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
            }
            assertEquals(503, down.statusCode(), down.body());
            assertTrue(down.body().contains("consecutive device errors"), down.body());
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (gate.isOpen() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertNotNull(gate.closedBecause());
            // neither the job's last attempt nor a new job is taken while DOWN: Kubernetes restarts the pod
            consumer.seekToEnd(consumer.assignment());
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, next, job(next, "would fail too"));
            long quiet = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            while (System.nanoTime() < quiet) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    assertTrue(!next.equals(r.key()) && !jobId.equals(r.key()), "a job was taken while liveness was DOWN: "
                            + new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
    }
}
