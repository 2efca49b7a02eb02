package io.fluxfleet.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How one record changes a job's state: the job record (queued), each lifecycle event, a dead
 * webhook delivery. Pure functions; {@link JobStateTopology} runs them inside Kafka Streams.
 */
public final class JobStateFold {

    static final ObjectMapper JSON = JobJson.newMapper();

    private JobStateFold() {
    }

    /** The job record on the jobs topic (first submission or a repeat): the job is queued. */
    static JobState submitted(JobState previous, String jobId, JsonNode request, Submission submission, Instant at) {
        JobState.Builder b = new JobState.Builder(previous != null ? previous : JobState.empty(jobId, at));
        if (b.submittedAt == null) {
            b.submittedAt = at;
        }
        String tenant = request.path("tenant").isTextual() ? request.path("tenant").asText() : null;
        if (b.tenant == null) {
            b.tenant = tenant;
        }
        if (request.path("labels").isObject()) {
            Map<String, String> labels = new LinkedHashMap<>();
            request.path("labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            b.labels = labels;
        }
        if (submission != null) {
            if (b.requestSha256 == null) {
                b.requestSha256 = submission.requestSha256();
            }
            if (b.webhook == null) {
                b.webhook = submission.webhook();
            }
        }
        b.updatedAt = at;
        return b.build();
    }

    /**
     * A job record that an operator replayed from the dead letters (the console's header): a failed job is
     * queued again, so its new attempts show; a job that is not failed is left as it is.
     */
    static JobState replayed(JobState submitted, Instant at) {
        if (submitted.state() != JobStatus.FAILED) {
            return submitted;
        }
        JobState.Builder b = new JobState.Builder(submitted);
        b.state = JobStatus.QUEUED;
        b.failure = null;
        b.finishedAt = null;
        b.progress = null;
        b.updatedAt = at;
        return b.build();
    }

    /** A lifecycle event; {@code id} is its CloudEvents id. */
    static JobState event(JobState previous, String jobId, String id, JobEvent event) {
        Instant at = event.timestamp();
        JobState.Builder b = new JobState.Builder(previous != null ? previous : JobState.empty(jobId, at));
        if (b.submittedAt == null) {
            b.submittedAt = at;
        }
        if (b.events.stream().anyMatch(e -> e.id().equals(id))) {
            return b.build(); // a redelivered record
        }
        // Only the latest progress event keeps its data: the state stays small with many steps.
        if (event instanceof JobEvent.Progress) {
            b.events.replaceAll(e -> JobEvent.PROGRESS.equals(e.type()) ? e.withoutData() : e);
        }
        b.events.add(new JobState.EventEntry(id, event.cloudEventType(), at, JSON.valueToTree(event)));
        b.updatedAt = at;
        b.attempts = Math.max(b.attempts, event.attempt());
        if (b.state != null && b.state.terminal() && !(event instanceof JobEvent.Completed)) {
            return b.build(); // a late event of an earlier attempt does not reopen a finished job
        }
        if (event instanceof JobEvent.Started) {
            b.state = JobStatus.STARTED;
            b.startedAt = at;
            b.progress = null;
        } else if (event instanceof JobEvent.Progress p) {
            b.state = JobStatus.RENDERING;
            b.progress = new JobState.Progress(p.step(), p.totalSteps(), p.fraction());
        } else if (event instanceof JobEvent.Completed c) {
            b.state = JobStatus.COMPLETED;
            b.finishedAt = at;
            b.result = JSON.valueToTree(c);
            b.failure = null;
            if (b.labels.isEmpty()) {
                b.labels = c.labels();
            }
        } else if (event instanceof JobEvent.Failed f) {
            b.failure = new JobState.Failure(f.code().name(), f.message());
            // a retryable failure: another attempt follows
            b.state = f.retryable() ? JobStatus.QUEUED : JobStatus.FAILED;
            if (!f.retryable()) {
                b.finishedAt = at;
            }
        }
        return b.build();
    }

    /** A webhook delivery given up on: visible in the job's state. */
    static JobState deadDelivery(JobState previous, String jobId, JobState.DeadDelivery dead) {
        JobState.Builder b = new JobState.Builder(previous != null ? previous : JobState.empty(jobId, dead.at()));
        if (b.webhookDlq.stream().noneMatch(d -> d.webhookId().equals(dead.webhookId()))) {
            b.webhookDlq.add(dead);
        }
        return b.build();
    }

    /** True for the event that ends a job's stream: completed, or failed with no retry to come. */
    static boolean isTerminal(JobEvent event) {
        return event instanceof JobEvent.Completed || (event instanceof JobEvent.Failed f && !f.retryable());
    }
}
