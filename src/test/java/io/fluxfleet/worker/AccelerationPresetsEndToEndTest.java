package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The fastest presets of both spatial samplers, asked for per job through the real broker: the
 * completed event reports the preset, the token evaluations per stage the preset implies, and
 * the FLOPs saved against 50 full steps.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class AccelerationPresetsEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    private JobEvent.Completed render(String acceleration) throws Exception {
        return render(acceleration, "");
    }

    private JobEvent.Completed render(String acceleration, String extra) throws Exception {
        String jobId = "e2e-" + acceleration + "-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a lighthouse at dusk", "width": 128, "height": 128, "seed": 11,
                 "acceleration": "%s"%s}""".formatted(jobId, acceleration, extra);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap,
                FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            return assertInstanceOf(JobEvent.Completed.class, events.get(events.size() - 1).event(),
                    KafkaTestClients.summary(events));
        }
    }

    @Test
    void jit7xThroughKafka() throws Exception {
        JobEvent.Completed done = render("jit-7x");
        assertEquals(Acceleration.JIT_7X, done.acceleration());
        assertEquals(11, done.steps());
        // 128x128 = 64 tokens: stages of 4 / 3 / 4 steps at floor(0.32 * 64), floor(0.60 * 64), 64 tokens
        assertEquals(List.of(4L * 20, 3L * 38, 4L * 64), done.tokenEvaluationsPerStage());
        assertEquals(4 * 20 + 3 * 38 + 4 * 64, done.tokenEvaluations());
        assertTrue(done.flopsSavedFraction() > 0.6, "jit-7x saves most FLOPs: " + done.flopsSavedFraction());
    }

    @Test
    void ralu7xThroughKafka() throws Exception {
        JobEvent.Completed done = render("ralu-7x");
        assertEquals(Acceleration.RALU_7X, done.acceleration());
        assertEquals(10, done.steps());
        // 8 x 8 tokens, low-res 4 x 4 = 16; ralu-7x upsamples r = 0.1 early (the reference's value):
        // floor(0.1 * 16) = 1 token into its 4 children: 16 + 3 * 1 tokens
        assertEquals(List.of(2L * 16, 3L * 19, 5L * 64), done.tokenEvaluationsPerStage());
        assertTrue(done.flopsSavedFraction() > 0.6, "ralu-7x saves most FLOPs: " + done.flopsSavedFraction());
    }

    @Test
    void customJitPresetFromTheJob() throws Exception {
        JobEvent.Completed done = render("custom",
                ", \"custom\": {\"sampler\": \"jit\", \"steps\": 6, \"densities\": [0.5, 1.0], \"stageStarts\": [0, 3]}");
        assertEquals(Acceleration.CUSTOM, done.acceleration());
        assertEquals(6, done.steps());
        assertEquals(List.of(3L * 32, 3L * 64), done.tokenEvaluationsPerStage());
    }
}
