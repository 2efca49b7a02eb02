package io.fluxfleet.worker.intake;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.tenant.Tenant;

/** A validated job: its request, the preset it runs with, the bucket its result goes to and its tenant. */
public record Job(Delivery delivery, JobRequest request, Acceleration acceleration, String bucket, Tenant tenant) {

    public String jobId() {
        return request.jobId();
    }

    public int attempt() {
        return delivery.attemptNumber();
    }
}
