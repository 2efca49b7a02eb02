package io.fluxfleet.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fluxfleet.job.JobEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A job as GET /v1/jobs/{id} shows it.
 *
 * @param result       the completed event (object location, sha256, timings, seed, ...) once completed
 * @param presignedUrl a fresh GET URL for the image when the tenant allows presigning
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String jobId,
        JobStatus state,
        int attempts,
        JobState.Progress progress,
        Instant submittedAt,
        Instant startedAt,
        Instant finishedAt,
        Map<String, String> labels,
        JobEvent.Completed result,
        String presignedUrl,
        Instant presignedUrlExpiresAt,
        JobState.Failure failure,
        WebhookSpec webhook,
        List<JobState.DeadDelivery> webhookDlq,
        Links links) {

    /** Where to go next. */
    public record Links(String self, String events, String cancel, String image) {
        static Links of(String jobId) {
            String self = "/v1/jobs/" + jobId;
            return new Links(self, self + "/events", self + "/cancel", self + "/image");
        }
    }
}
