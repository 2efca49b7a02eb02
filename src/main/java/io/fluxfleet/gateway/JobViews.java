package io.fluxfleet.gateway;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.tenant.Tenant;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import org.jboss.logging.Logger;

/** Job states as the API shows them, with a fresh presigned URL where the tenant allows it. */
@ApplicationScoped
public class JobViews {

    private static final Logger LOG = Logger.getLogger(JobViews.class);

    @Inject
    ObjectStore store;

    public JobView of(JobState s, Tenant tenant) {
        JobEvent.Completed result = s.result() == null ? null
                : JobStateFold.JSON.convertValue(s.result(), JobEvent.Completed.class);
        String url = null;
        Instant expires = null;
        if (result != null && tenant.presign().enabled()) {
            try {
                url = store.presignedGetUrl(result.bucket(), result.key(), tenant.presign().expiry());
                expires = Instant.now().plus(tenant.presign().expiry());
            } catch (RuntimeException e) {
                LOG.warnf("job %s: cannot presign s3://%s/%s: %s", s.jobId(), result.bucket(), result.key(), e.toString());
            }
        }
        if (result != null) {
            // The worker's URL in the event may have expired; the view carries only a fresh one.
            result = new JobEvent.Completed(result.version(), result.jobId(), result.workerId(), result.attempt(),
                    result.timestamp(), result.device(), result.bucket(), result.key(), result.sidecarKey(),
                    result.contentType(), result.bytes(), result.sha256(), result.width(), result.height(), result.seed(),
                    result.model(), result.modelKind(), result.acceleration(), result.steps(), result.timings(), result.tokenEvaluations(),
                    result.tokenEvaluationsPerStage(), result.flopsSavedFraction(), result.labels(), url, expires,
                    result.loras());
        }
        return new JobView(s.jobId(), s.state(), s.attempts(), s.progress(), s.submittedAt(), s.startedAt(),
                s.finishedAt(), s.labels(), result, url, expires, s.failure(), s.webhook(),
                s.webhookDlq().isEmpty() ? null : s.webhookDlq(), JobView.Links.of(s.jobId()));
    }
}
