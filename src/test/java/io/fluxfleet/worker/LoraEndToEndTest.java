package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.lora.TestAdapters;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.worker.KafkaTestClients.EventRecord;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * LoRA through the fleet: adapters in the library bucket of the real S3 server, jobs over the real
 * broker, the real engine. Images are compared by the sha256 the completed events report: same
 * seed, prompt and adapter give the same bytes on this CPU worker.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class LoraEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @ConfigProperty(name = "fluxfleet.model-dir")
    Path modelDir;

    @ConfigProperty(name = "fluxfleet.topics.dlq")
    String dlqTopic;

    @jakarta.inject.Inject
    ObjectStore store;

    // Mutation: Renderer passing no adapters to the engine: A and base gave the same sha256 and it failed.
    @Test
    void libraryAdaptersRenderAreReportedAndLeaveNoTraceBetweenJobs() throws Exception {
        FluxConfig config = FluxModelDirectory.open(modelDir).transformerConfig();
        Path work = Files.createTempDirectory("lora-e2e");
        TestAdapters.Factors a = TestAdapters.random(config, 4, 8f, 11);
        TestAdapters.writeKohya(work.resolve("a.safetensors"), a);
        TestAdapters.writePeft(work.resolve("b/adapter_model.safetensors"), TestAdapters.random(config, 8, 8f, 12),
                config);
        store.ensureBucket(FleetStackResource.LORA_BUCKET);
        byte[] fileA = Files.readAllBytes(work.resolve("a.safetensors"));
        upload("loras/styles/a.safetensors", fileA);
        upload("loras/b/adapter_model.safetensors", Files.readAllBytes(work.resolve("b/adapter_model.safetensors")));
        upload("loras/b/adapter_config.json", Files.readAllBytes(work.resolve("b/adapter_config.json")));

        JobEvent.Completed base = render("[]");
        JobEvent.Completed b0 = render("[{\"source\": \"b\", \"scale\": 0.9}]");
        JobEvent.Completed a1 = render("[{\"source\": \"styles/a\"}]");
        JobEvent.Completed b1 = render("[{\"source\": \"b\", \"scale\": 0.9}]");
        JobEvent.Completed a2 = render("[{\"source\": \"styles/a\"}]");
        JobEvent.Completed zero = render("[{\"source\": \"styles/a\", \"scale\": 0}]");

        assertEquals(List.of(new LoraUse("styles/a", 1.0, sha256(fileA))), a1.loras());
        assertEquals(List.of(), base.loras());
        assertEquals("b", b0.loras().get(0).source());
        assertNotEquals(base.sha256(), a1.sha256(), "the adapter changes the image");
        assertNotEquals(a1.sha256(), b0.sha256());
        assertEquals(a1.sha256(), a2.sha256(), "A after B renders as A alone");
        assertEquals(b0.sha256(), b1.sha256(), "B after A renders as B alone");
        assertEquals(base.sha256(), zero.sha256(), "scale 0 is the base image, bit for bit");

        JsonNode sidecar = new ObjectMapper().readTree(store.get(a1.bucket(), a1.sidecarKey()).orElseThrow());
        assertEquals(sha256(fileA), sidecar.path("loras").path(0).path("sha256").asText());
        assertEquals("styles/a", sidecar.path("request").path("loras").path(0).path("source").asText());
    }

    // Not mutation-checked for lack of time; AdapterLibrary's kind-to-code mapping is what it tests.
    @Test
    void incompatibleAndMissingAdaptersAreDeadLetteredAndTheWorkerKeepsServing() throws Exception {
        Path work = Files.createTempDirectory("lora-e2e-bad");
        TestAdapters.write(work.resolve("wide.safetensors"), Map.of(
                "lora_unet_img_in.lora_down.weight", new HostTensor(new long[] {4, 32}, new float[4 * 32]),
                "lora_unet_img_in.lora_up.weight", new HostTensor(new long[] {3072, 4}, new float[3072 * 4])));
        store.ensureBucket(FleetStackResource.LORA_BUCKET);
        upload("loras/for-another-model.safetensors", Files.readAllBytes(work.resolve("wide.safetensors")));

        JobEvent.Failed incompatible = fail("[{\"source\": \"for-another-model\"}]");
        assertEquals(ErrorCode.LORA_INCOMPATIBLE, incompatible.code());
        assertFalse(incompatible.retryable());
        assertTrue(incompatible.message().contains("lora_unet_img_in.lora_down.weight"), incompatible.message());
        assertEquals(ErrorCode.LORA_NOT_FOUND, fail("[{\"source\": \"no/such/adapter\"}]").code());
        try (KafkaConsumer<String, byte[]> dlq = KafkaTestClients.eventsConsumer(bootstrap, dlqTopic)) {
            List<EventRecord> records = KafkaTestClients.awaitTerminal(dlq, Set.of(incompatible.jobId()), TIMEOUT)
                    .get(incompatible.jobId());
            assertEquals(ErrorCode.LORA_INCOMPATIBLE, ((JobEvent.Failed) records.get(records.size() - 1).event()).code());
        }
        render("[]"); // and the worker still renders
    }

    private JobEvent.Completed render(String loras) throws Exception {
        return assertInstanceOf(JobEvent.Completed.class, run(loras), "expected completed");
    }

    private JobEvent.Failed fail(String loras) throws Exception {
        return assertInstanceOf(JobEvent.Failed.class, run(loras), "expected failed");
    }

    private JobEvent run(String loras) throws Exception {
        String jobId = "lora-" + UUID.randomUUID();
        String request = """
                {"jobId": "%s", "prompt": "a lighthouse at dusk", "width": 128, "height": 64, "steps": 2,
                 "seed": 7, "acceleration": "none", "loras": %s}""".formatted(jobId, loras);
        try (KafkaConsumer<String, byte[]> consumer = KafkaTestClients.eventsConsumer(bootstrap,
                FleetStackResource.EVENTS_TOPIC);
                KafkaProducer<String, byte[]> producer = KafkaTestClients.producer(bootstrap)) {
            KafkaTestClients.send(producer, FleetStackResource.JOBS_TOPIC, jobId, request);
            List<EventRecord> events = KafkaTestClients.awaitTerminal(consumer, Set.of(jobId), TIMEOUT).get(jobId);
            return events.get(events.size() - 1).event();
        }
    }

    private void upload(String key, byte[] bytes) {
        store.put(FleetStackResource.LORA_BUCKET, key, bytes, "application/octet-stream");
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
