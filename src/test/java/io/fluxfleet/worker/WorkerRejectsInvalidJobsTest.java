package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Requests the fleet must refuse: each gets one failed event with its code, keyed so the client
 * finds it, and none reaches the engine (the engine's render counter does not move, no started
 * event is published).
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class WorkerRejectsInvalidJobsTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    FleetMetrics metrics;

    @Inject
    SlotPool slots;

    @Test
    void invalidRequestsFailWithTheirCodeAndNeverReachTheEngine() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        // key -> (value, expected code)
        Map<String, Map.Entry<String, ErrorCode>> cases = new LinkedHashMap<>();
        cases.put("bad-json-" + run, Map.entry("this is not JSON {", ErrorCode.INVALID_JSON));
        cases.put("cut-json-" + run, Map.entry("{\"jobId\": \"cut-json-" + run + "\", \"prompt\": ", ErrorCode.INVALID_JSON));
        cases.put("no-prompt-" + run, Map.entry("{\"jobId\": \"no-prompt-" + run + "\"}", ErrorCode.MISSING_FIELD));
        cases.put("width-100-" + run, Map.entry(job("width-100-" + run, "\"width\": 100, \"height\": 64"),
                ErrorCode.INVALID_SIZE));
        cases.put("pixels-" + run, Map.entry(job("pixels-" + run, "\"width\": 4096, \"height\": 4096"),
                ErrorCode.TOO_MANY_PIXELS));
        cases.put("model-" + run, Map.entry(job("model-" + run, "\"model\": \"sdxl\""), ErrorCode.UNKNOWN_MODEL));
        cases.put("dotdot-" + run, Map.entry(job("dotdot-" + run, "\"output\": {\"keyPrefix\": \"renders/../secrets\"}"),
                ErrorCode.INVALID_OUTPUT));
        // The abuse limits, each end to end once
        cases.put("long-prompt-" + run, Map.entry("{\"jobId\": \"long-prompt-" + run + "\", \"prompt\": \""
                + "a".repeat(2001) + "\"}", ErrorCode.PROMPT_TOO_LONG));
        cases.put("steps-" + run, Map.entry(job("steps-" + run, "\"steps\": 101").replace("\"steps\": 2, ", ""),
                ErrorCode.TOO_MANY_STEPS));
        cases.put("bucket-" + run, Map.entry(job("bucket-" + run, "\"output\": {\"bucket\": \"someone-elses\"}"),
                ErrorCode.INVALID_OUTPUT));
        cases.put("absolute-" + run, Map.entry(job("absolute-" + run, "\"output\": {\"keyPrefix\": \"/etc/renders\"}"),
                ErrorCode.INVALID_OUTPUT));
        cases.put("huge-" + run, Map.entry("{\"jobId\": \"huge-" + run + "\", \"prompt\": \"x\", \"labels\": {\"pad\": \""
                + "p".repeat(70_000) + "\"}}", ErrorCode.REQUEST_TOO_LARGE));
        // Valid requests this worker cannot serve are refused before a slot too: a custom preset the
        // samplers reject, RALU at a size it cannot halve, a model not served, a passed deadline.
        cases.put("custom-" + run, Map.entry(job("custom-" + run, "\"acceleration\": \"custom\", \"custom\": {\"k\": 1}"),
                ErrorCode.INVALID_FIELD));
        cases.put("ralu-80-" + run, Map.entry(job("ralu-80-" + run,
                "\"acceleration\": \"ralu-5x\", \"width\": 80, \"height\": 64"), ErrorCode.INVALID_SIZE));
        cases.put("schnell-" + run, Map.entry(job("schnell-" + run, "\"model\": \"schnell\""), ErrorCode.UNKNOWN_MODEL));
        cases.put("expired-" + run, Map.entry(job("expired-" + run, "\"deadline\": \"2001-01-01T00:00:00Z\""),
                ErrorCode.EXPIRED));

        // The tiny model is served once the directory is open; wait so that no case races the loader.
        assertTrue(slots.awaitModelOpen(Duration.ofMinutes(2)), "model directory never opened");
        long rendersBefore = metrics.engineRenders();
        Map<String, List<EventRecord>> events;
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap, FleetStackResource.EVENTS_TOPIC);
             KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            for (var entry : cases.entrySet()) {
                KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, entry.getKey(), entry.getValue().getKey());
            }
            events = KafkaTestClients.awaitTerminal(consumer, cases.keySet(), Duration.ofMinutes(2));
        }

        for (var entry : cases.entrySet()) {
            String key = entry.getKey();
            List<EventRecord> forKey = events.get(key);
            assertEquals(1, forKey.size(), key + ": exactly one event, no started: " + KafkaTestClients.summary(forKey));
            JobEvent.Failed failed = assertInstanceOf(JobEvent.Failed.class, forKey.get(0).event());
            assertEquals(entry.getValue().getValue(), failed.code(), key + ": " + failed.message());
            assertFalse(failed.retryable(), key);
            assertEquals(JobEvent.FAILED, forKey.get(0).header("ce_type"));
            assertEquals(FleetStackResource.WORKER_ID, failed.workerId());
            assertEquals(1, failed.errors().size());
        }
        // Not JSON and no jobId to be found: failed.jobId is null, the event is keyed by the record key
        JobEvent.Failed badJson = (JobEvent.Failed) events.get("bad-json-" + run).get(0).event();
        assertNull(badJson.jobId());
        assertFalse(badJson.validationErrors().isEmpty());
        // Broken JSON with a readable jobId: the contract reports it
        assertEquals("cut-json-" + run, events.get("cut-json-" + run).get(0).event().jobId());
        JobEvent.Failed custom = (JobEvent.Failed) events.get("custom-" + run).get(0).event();
        assertTrue(custom.message().contains("custom.sampler must be \"jit\" or \"ralu\""), custom.message());
        JobEvent.Failed ralu = (JobEvent.Failed) events.get("ralu-80-" + run).get(0).event();
        assertTrue(ralu.message().contains("multiples of 32"), ralu.message());
        JobEvent.Failed dotdot = (JobEvent.Failed) events.get("dotdot-" + run).get(0).event();
        assertEquals("output.keyPrefix", dotdot.validationErrors().get(0).field());

        assertEquals(rendersBefore, metrics.engineRenders(), "an invalid request reached the engine");
    }

    private static String job(String jobId, String fields) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"a test\", \"steps\": 2, " + fields + "}";
    }
}
