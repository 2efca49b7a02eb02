package io.fluxfleet.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One job as the gateway knows it, folded from the jobs topic, the events topic and the webhook DLQ
 * ({@link JobStateFold}). Stored as JSON in RocksDB and in the compacted state topic.
 *
 * @param requestSha256 SHA-256 of the normalised request and webhook the gateway produced (the
 *                      idempotency check); null for jobs produced to Kafka directly
 * @param events        every event of the job in order, with the full data of the lifecycle events
 *                      and of the latest progress event only (SSE resume)
 * @param webhookDlq    webhook deliveries given up on
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobState(
        String jobId,
        String tenant,
        JobStatus state,
        Instant submittedAt,
        Instant startedAt,
        Instant finishedAt,
        Instant updatedAt,
        int attempts,
        Progress progress,
        String requestSha256,
        WebhookSpec webhook,
        Map<String, String> labels,
        JsonNode result,
        Failure failure,
        List<EventEntry> events,
        List<DeadDelivery> webhookDlq) {

    public JobState {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        events = events == null ? List.of() : List.copyOf(events);
        webhookDlq = webhookDlq == null ? List.of() : List.copyOf(webhookDlq);
    }

    /** Denoising progress of the current attempt. */
    public record Progress(int step, int totalSteps, double fraction) {
    }

    /** Why a job failed for good. */
    public record Failure(String code, String message) {
    }

    /**
     * One event. {@code data} is kept for every event except superseded progress events.
     *
     * @param id the CloudEvents id (ce_id header), the SSE id
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record EventEntry(String id, String type, Instant time, JsonNode data) {
        EventEntry withoutData() {
            return new EventEntry(id, type, time, null);
        }
    }

    /** A webhook delivery given up on. */
    public record DeadDelivery(String webhookId, String url, String eventType, int attempts, String lastError,
            Instant at) {
    }

    static JobState empty(String jobId, Instant now) {
        return new JobState(jobId, null, JobStatus.QUEUED, null, null, null, now, 0, null, null, null, Map.of(),
                null, null, List.of(), List.of());
    }

    /** Mutable copy, used only by the fold. */
    static final class Builder {
        String jobId;
        String tenant;
        JobStatus state;
        Instant submittedAt;
        Instant startedAt;
        Instant finishedAt;
        Instant updatedAt;
        int attempts;
        Progress progress;
        String requestSha256;
        WebhookSpec webhook;
        Map<String, String> labels;
        JsonNode result;
        Failure failure;
        List<EventEntry> events;
        List<DeadDelivery> webhookDlq;

        Builder(JobState s) {
            jobId = s.jobId;
            tenant = s.tenant;
            state = s.state;
            submittedAt = s.submittedAt;
            startedAt = s.startedAt;
            finishedAt = s.finishedAt;
            updatedAt = s.updatedAt;
            attempts = s.attempts;
            progress = s.progress;
            requestSha256 = s.requestSha256;
            webhook = s.webhook;
            labels = s.labels;
            result = s.result;
            failure = s.failure;
            events = new ArrayList<>(s.events);
            webhookDlq = new ArrayList<>(s.webhookDlq);
        }

        JobState build() {
            return new JobState(jobId, tenant, state, submittedAt, startedAt, finishedAt, updatedAt, attempts, progress,
                    requestSha256, webhook, labels, result, failure, events, webhookDlq);
        }
    }
}
