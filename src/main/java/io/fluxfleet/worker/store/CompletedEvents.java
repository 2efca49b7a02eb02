package io.fluxfleet.worker.store;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.ObjectKeys;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.intake.Job;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;

/** The completed event of a stored result, from its sidecar, with a fresh presigned URL. */
@ApplicationScoped
public class CompletedEvents {

    @Inject
    FleetConfig config;

    @Inject
    ObjectStore store;

    /**
     * As described by the sidecar (this render's or an earlier one's); with a presigned URL only when
     * the job's tenant allows it, with the tenant's expiry.
     */
    public JobEvent.Completed of(Job job, Sidecar s, JobEvent.Timings timings) {
        String presignedUrl = null;
        Instant presignedExpiresAt = null;
        Duration expiry = job.tenant().presign().expiry();
        if (job.tenant().presign().enabled()) {
            presignedExpiresAt = Instant.now().plus(expiry);
            presignedUrl = store.presignedGetUrl(s.bucket(), s.key(), expiry);
        }
        return new JobEvent.Completed(JobEvent.VERSION, job.jobId(), s.workerId(), s.attempt(), Instant.now(),
                s.device(), s.bucket(), s.key(), ObjectKeys.sidecarKey(job.request()), s.contentType(), s.bytes(),
                s.sha256(), s.width(), s.height(), s.seed(), s.model(), s.modelKind(), s.acceleration(), s.steps(), timings,
                s.tokenEvaluations(), s.tokenEvaluationsPerStage(), s.flopsSavedFraction(), job.request().labels(),
                presignedUrl, presignedExpiresAt, s.loras() == null ? java.util.List.of() : s.loras());
    }
}
