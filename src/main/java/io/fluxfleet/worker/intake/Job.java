package io.fluxfleet.worker.intake;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobRequest;

/** A validated job: its request, the preset it runs with and the bucket its result goes to. */
public record Job(Delivery delivery, JobRequest request, Acceleration acceleration, String bucket) {

    public String jobId() {
        return request.jobId();
    }

    public int attempt() {
        return delivery.attemptNumber();
    }
}
