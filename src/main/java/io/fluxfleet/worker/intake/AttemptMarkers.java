package io.fluxfleet.worker.intake;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobJson;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Two markers per job on the attempts topic, beside the workers' starts ({@link AttemptLog}):
 * <ul>
 * <li>{@code <jobId>/~handled}: the delivery (attempt and record timestamp) that a worker sent to the retry
 * topic or the dead letters, so that a redelivery of that same record after a rebalance is acknowledged
 * instead of handled twice;</li>
 * <li>{@code <jobId>/~replay}: the console replay (its replayed-at header) whose first start cleared the job's
 * starts, so that each replay begins a new attempt history exactly once.</li>
 * </ul>
 * Both are removed when the job completes ({@link AttemptLog#forget}).
 */
@ApplicationScoped
public class AttemptMarkers {

    private static final Logger LOG = Logger.getLogger(AttemptMarkers.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    @Inject
    AttemptLog attempts;

    /**
     * Records that this delivery of jobId went to the retry topic or the dead letters ({@code outcome}). Kept
     * until the job completes or retention removes it; a replay is a new record and is handled.
     */
    public void handled(String jobId, Delivery delivery, String outcome) {
        ObjectNode value = JSON.createObjectNode();
        value.put("attempt", delivery.attemptNumber());
        value.put("recordTimestamp", delivery.recordTimestampMs());
        value.put("outcome", outcome);
        attempts.records().send(jobId, AttemptLog.key(jobId, AttemptEntries.HANDLED),
                value.toString().getBytes(StandardCharsets.UTF_8), true);
    }

    /** How this very delivery was handled before (a redelivery of a record already retried or dead-lettered). */
    public Optional<String> handledBefore(String jobId, Delivery delivery) {
        attempts.sync();
        AttemptEntries.Handled h = attempts.view().handled(jobId);
        return h != null && h.attempt() == delivery.attemptNumber() && h.recordTimestampMs() == delivery.recordTimestampMs()
                && delivery.recordTimestampMs() > 0 ? Optional.of(h.outcome()) : Optional.empty();
    }

    /**
     * A replay (the console sent a dead letter back with {@link io.fluxfleet.worker.RecordHeaders#H_REPLAYED_AT})
     * begins a new attempt history: its first start clears every worker's starts of the job, so the crashes that
     * got it dead-lettered no longer count toward the crash-loop cap, while the replay's own crashes do. A
     * redelivery of the same replayed record finds the marker and keeps its count (no endless crash loop).
     *
     * @throws IllegalStateException when the broker does not take the marker within the budget
     */
    public void startReplay(String jobId, String replayedAt, Duration budget) throws InterruptedException {
        if (replayedAt == null) {
            return;
        }
        attempts.sync();
        if (replayedAt.equals(attempts.view().replay(jobId))) {
            return;
        }
        attempts.records().awaitRetrying(jobId, resetForReplay(jobId, replayedAt),
                () -> resetForReplay(jobId, replayedAt), budget);
        LOG.infof("job %s: replayed at %s, its earlier starts no longer count", jobId, replayedAt);
    }

    /** Tombstones for the job's starts, then the replay marker (one partition, one sender: the marker lands last). */
    private Future<RecordMetadata> resetForReplay(String jobId, String replayedAt) {
        attempts.clearStarts(jobId);
        return attempts.records().send(jobId, AttemptLog.key(jobId, AttemptEntries.REPLAY),
                replayedAt.getBytes(StandardCharsets.UTF_8), false);
    }
}
