package io.fluxfleet.worker.intake;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.tenant.Tenant;

/**
 * A validated job: its request, the model its name resolved to (kind and defaults), the preset it runs
 * with, the bucket its result goes to and its tenant.
 */
public record Job(Delivery delivery, JobRequest request, ModelDefinition model, Acceleration acceleration, String bucket,
                  Tenant tenant) {

    public String jobId() {
        return request.jobId();
    }

    public int attempt() {
        return delivery.attemptNumber();
    }
}
