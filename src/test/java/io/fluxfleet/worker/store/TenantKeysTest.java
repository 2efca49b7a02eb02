package io.fluxfleet.worker.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.job.OutputFormat;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.intake.Attempt;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.intake.Job;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The store step's own check: a request that passed intake under other settings (a changed
 * tenants file, a record retried after a change) still cannot name another tenant's keys.
 */
class TenantKeysTest {

    private static final TenantDirectory TENANTS = TenantDirectory.parse("""
            tenants:
              - id: acme
              - id: globex
            """, JobValidator.Limits.DEFAULTS);

    private static Job job(String tenant, String requestTenant, String bucket, String prefix) {
        JobRequest request = new JobRequest(1, "job-1", "p", 64, 64, 2, null, 1L, "schnell", Acceleration.NONE, null,
                new JobRequest.Output(bucket, prefix, OutputFormat.PNG), 5, requestTenant, null, Map.of());
        return new Job(Delivery.of("job-1", new byte[0], 0, Attempt.FIRST), request,
                ModelDefinition.builtIn(ModelKind.SCHNELL), Acceleration.NONE, "renders-bucket",
                TENANTS.find(tenant).orElseThrow());
    }

    @Test
    void keysUnderTheTenantsPrefixesPass() {
        assertEquals("renders/globex/job-1.png", TenantKeys.imageKey(job("globex", "globex", null, "renders/globex")));
        assertEquals("renders/globex/x/job-1.json", TenantKeys.sidecarKey(job("globex", "globex", null, "renders/globex/x")));
    }

    @Test
    void anotherTenantsKeysBucketsOrTenantAreRefused() {
        // Mutation: owned() returning the key unchecked made this fail.
        for (Job job : new Job[] {job("globex", "globex", null, "renders/acme"), job("globex", "globex", null, "renders"),
                job("globex", "globex", "acme-renders", "renders/globex"), job("globex", "acme", null, "renders/globex")}) {
            JobFailure failure = assertThrows(JobFailure.class, () -> TenantKeys.imageKey(job), job.request().toString());
            assertEquals(ErrorCode.INVALID_OUTPUT, failure.code());
            assertThrows(JobFailure.class, () -> TenantKeys.sidecarKey(job));
        }
    }
}
