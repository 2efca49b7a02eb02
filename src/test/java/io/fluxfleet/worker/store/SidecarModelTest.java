package io.fluxfleet.worker.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.job.OutputFormat;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.worker.intake.Attempt;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.intake.Job;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sidecar records the model's name and kind; an earlier render's sidecar is read back with them,
 * and one written before model catalogs (no modelKind) still reads, with the job's kind.
 */
class SidecarModelTest {

    private static final TenantDirectory TENANTS = TenantDirectory.parse("tenants:\n  - id: acme\n",
            JobValidator.Limits.DEFAULTS);

    private static Job job(String model, ModelDefinition definition) {
        JobRequest request = new JobRequest(1, "job-1", "p", 64, 64, 2, null, 1L, model, Acceleration.NONE, null,
                new JobRequest.Output(null, "renders/acme", OutputFormat.PNG), 5, "acme", null, Map.of());
        return new Job(Delivery.of("job-1", new byte[0], 0, Attempt.FIRST), request, definition, Acceleration.NONE,
                "renders-bucket", TENANTS.find("acme").orElseThrow());
    }

    private static Sidecar sidecar(Job job, ModelKind kind) {
        JobRequest r = job.request();
        return new Sidecar(Sidecar.VERSION, job.jobId(), job.bucket(), "renders/acme/job-1.png", "image/png", 10,
                "ab".repeat(32), 64, 64, 1L, r.model(), kind, Acceleration.NONE, "euler", 2, 512, List.of(512L), 0.96,
                new JobEvent.Timings(1, 2, 3, 4, 5, 6, 21), "worker-a", "cpu", 1, Instant.parse("2030-01-01T00:00:00Z"),
                r, "acme", Sidecar.requestSha256(r), 256, null, List.of());
    }

    private static JsonNode tree(Sidecar sidecar) throws Exception {
        return JobJson.newMapper().readTree(JobJson.toJson(sidecar));
    }

    /**
     * Mutation check: with EarlierResults reading the kind from the job only (ignoring the sidecar's
     * modelKind), the schnell-kind sidecar read back as dev and the test failed.
     */
    @Test
    void aCatalogModelsNameAndKindAreWrittenAndReadBack() throws Exception {
        Job turbo = job("turbo", new ModelDefinition("turbo", ModelKind.SCHNELL, ModelDefinition.Defaults.NONE));
        JsonNode written = tree(sidecar(turbo, ModelKind.SCHNELL));
        assertEquals("turbo", written.get("model").asText());
        assertEquals("schnell", written.get("modelKind").asText());

        // The job that finds it may resolve differently (a changed catalog): the sidecar says what was rendered.
        Job later = job("turbo", new ModelDefinition("turbo", ModelKind.DEV, ModelDefinition.Defaults.NONE));
        Sidecar read = EarlierResults.read(later, written);
        assertEquals("turbo", read.model());
        assertEquals(ModelKind.SCHNELL, read.modelKind());
    }

    /** Mutation check: with modelKind required when reading (ModelKind.parse(...).orElseThrow()) this test failed. */
    @Test
    void aSidecarFromBeforeModelCatalogsStillReads() throws Exception {
        Job schnell = job("schnell", ModelDefinition.builtIn(ModelKind.SCHNELL));
        ObjectNode old = (ObjectNode) tree(sidecar(schnell, ModelKind.SCHNELL));
        old.remove("modelKind");
        Sidecar read = EarlierResults.read(schnell, old);
        assertEquals("schnell", read.model());
        assertEquals(ModelKind.SCHNELL, read.modelKind(), "the job's kind");
    }
}
