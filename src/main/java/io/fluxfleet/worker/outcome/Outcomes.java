package io.fluxfleet.worker.outcome;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.WorkerIdentity;
import io.fluxfleet.worker.intake.AttemptLog;
import io.fluxfleet.worker.intake.AttemptMarkers;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.intake.IntakeGate;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.worker.render.Rendered;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The outcome step: publishes the terminal event (completed or failed) and waits for the broker's
 * ack, sends a failed job to the retry topic with backoff or to the dead-letter topic, and clears the
 * crash counter of a job that reached a terminal state.
 */
@ApplicationScoped
public class Outcomes {

    private static final Logger LOG = Logger.getLogger(Outcomes.class);
    private static final int ERROR_MESSAGE_CHARS = 1000;
    private static final long PUBLISH_BACKOFF_MS = 500;
    private static final long PUBLISH_BACKOFF_MAX_MS = 8_000;

    @Inject
    FleetConfig config;

    @Inject
    EventPublisher events;

    @Inject
    RetryTopics retryTopics;

    @Inject
    AttemptLog attempts;

    @Inject
    AttemptMarkers markers;

    @Inject
    FleetMetrics metrics;

    @Inject
    WorkerIdentity identity;

    @Inject
    TenantDirectory tenants;

    @Inject
    IntakeGate gate;

    private static final String RETRYING = "retrying";
    private static final String DEAD_LETTERED = "dead-lettered";

    /** A fresh render, stored. */
    public Outcome completed(Job job, Rendered rendered, JobEvent.Completed completed) {
        metrics.rendered(job.acceleration().wireName(), rendered.renderNanos(), rendered.result().steps(),
                rendered.result().timings().denoiseMs(), rendered.result().tokenEvaluations(),
                completed.flopsSavedFraction());
        long overheadNanos = publishTerminal(completed, job.jobId(), job.delivery(), rendered.renderNanos(), job.tenant());
        attempts.forget(job.jobId());
        LOG.infof("job %s completed on %s: s3://%s/%s (%d bytes, %s, %d steps, render %d ms, overhead %.1f ms)",
                job.jobId(), rendered.device(), completed.bucket(), completed.key(), completed.bytes(),
                job.acceleration().wireName(), rendered.result().steps(), rendered.renderNanos() / 1_000_000,
                overheadNanos / 1e6);
        return Outcome.COMPLETED;
    }

    /** A job stored before (an earlier delivery): answered from its sidecar. */
    public Outcome answeredFromSidecar(Job job, JobEvent.Completed earlier) {
        LOG.infof("job %s already completed (s3://%s/%s): answered from its sidecar", job.jobId(), earlier.bucket(),
                earlier.key());
        metrics.duplicateDelivery();
        publishTerminal(earlier, job.jobId(), job.delivery(), 0, job.tenant());
        attempts.forget(job.jobId());
        return Outcome.COMPLETED;
    }

    /**
     * A redelivery of a record that a worker already sent to the retry topic or the dead letters (its partition
     * moved before the commit): acknowledged, nothing published again.
     */
    public Outcome handledBefore(Job job, String outcome) {
        LOG.infof("job %s: attempt %d was already handled (%s) before this redelivery; acknowledged", job.jobId(),
                job.attempt(), outcome);
        metrics.duplicateDelivery();
        return RETRYING.equals(outcome) ? Outcome.RETRYING : Outcome.FAILED;
    }

    /** A failed job: rejected or permanent to the DLQ, transient to the retry topic (or the DLQ when out of attempts). */
    public Outcome failed(Delivery delivery, Job job, JobFailure failure) {
        if (failure.invalid() != null) {
            JobEvent.Failed failed = JobEvent.Failed.rejected(failure.invalid(), identity.id(),
                    delivery.attemptNumber(), Instant.now());
            String key = failure.invalid().jobId() != null ? failure.invalid().jobId() : delivery.key();
            LOG.infof("job %s rejected: %s", key, failed.message());
            deadLetter(delivery, key, failed);
            publishTerminal(failed, key, delivery, 0, tenants.find(JobValidator.extractTenant(delivery.value())).orElse(null));
            return Outcome.FAILED;
        }
        return failure.retryable() ? retryLater(job, failure.code(), failure.getMessage())
                : fail(job, failure.code(), failure.getMessage());
    }

    private Outcome fail(Job job, ErrorCode code, String message) {
        return deadLettered(job, code, message, errorsWith(job, code, message, Instant.now()));
    }

    private Outcome retryLater(Job job, ErrorCode code, String message) {
        Instant now = Instant.now();
        int n = job.attempt();
        int max = Math.max(1, config.reliability().maxAttempts());
        if (n >= max) {
            return deadLettered(job, ErrorCode.RETRIES_EXHAUSTED, "gave up after " + n + " attempts; last: " + code
                    + " " + message, errorsWith(job, code, message, now));
        }
        List<JobEvent.AttemptError> errors = errorsWith(job, code, message, now);
        Instant first = job.delivery().attempt().firstFailure() != null ? job.delivery().attempt().firstFailure() : now;
        long backoff = config.reliability().backoff().toMillis() << Math.min(20, n - 1);
        Instant notBefore = now.plusMillis(Math.min(backoff, config.reliability().maxBackoff().toMillis()));
        JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, job.jobId(), identity.id(), n, now, code,
                message + " (attempt " + n + " of " + max + "; retrying after " + notBefore + ")", true, errors,
                List.of(), labels(job));
        retryTopics.sendRetry(job.jobId(), job.delivery().value(),
                new RetryTopics.Retry(n + 1, first, notBefore, JobJson.toJson(errors)));
        markers.handled(job.jobId(), job.delivery(), RETRYING);
        LOG.infof("job %s: %s %s; attempt %d goes to the retry topic, not before %s", job.jobId(), code, message, n + 1,
                notBefore);
        publishTerminal(failed, job.jobId(), job.delivery(), 0, job.tenant());
        return Outcome.RETRYING;
    }

    /** A terminal failure: dead-lettered with every attempt's error, then the terminal failed event. */
    private Outcome deadLettered(Job job, ErrorCode code, String message, List<JobEvent.AttemptError> errors) {
        JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, job.jobId(), identity.id(), job.attempt(),
                Instant.now(), code, message, false, errors, List.of(), labels(job));
        LOG.infof("job %s failed: %s %s", job.jobId(), code, message);
        deadLetter(job.delivery(), job.jobId(), failed);
        // The marker first: a worker that holds the same record after a rebalance waits on this start's lease,
        // and must find the marker once the lease goes (one partition, one sender: they land in this order).
        markers.handled(job.jobId(), job.delivery(), DEAD_LETTERED);
        if (code != ErrorCode.CRASH_LOOP) {
            // A crash-looped job keeps its count: if this worker dies before the commit, the redelivery is
            // dead-lettered again at once instead of crashing cap more workers.
            attempts.clearStarts(job.jobId());
        }
        publishTerminal(failed, job.jobId(), job.delivery(), 0, job.tenant());
        return Outcome.FAILED;
    }

    private List<JobEvent.AttemptError> errorsWith(Job job, ErrorCode code, String message, Instant now) {
        List<JobEvent.AttemptError> errors = new ArrayList<>(job.delivery().attempt().errors());
        // Cut long messages (exception chains): the errors travel in every later retry and DLQ record.
        String bounded = message.length() > ERROR_MESSAGE_CHARS ? message.substring(0, ERROR_MESSAGE_CHARS) + "…" : message;
        errors.add(new JobEvent.AttemptError(job.attempt(), code, bounded, now, identity.id()));
        return errors;
    }

    private static Map<String, String> labels(Job job) {
        return job.request().labels();
    }

    private void deadLetter(Delivery delivery, String key, JobEvent.Failed failed) {
        Instant first = delivery.attempt().firstFailure() != null ? delivery.attempt().firstFailure()
                : failed.timestamp();
        retryTopics.sendDeadLetter(key, new RetryTopics.DeadLetter(JobJson.writeEvent(failed), delivery.value(),
                delivery.attemptNumber(), first, failed.code().name(), failed.message(),
                JobJson.toJson(failed.errors())));
    }

    /**
     * Publishes the terminal event and waits for the broker's ack (only then is the job record acked);
     * returns the job's overhead: the time since pickup minus the engine render.
     */
    private long publishTerminal(JobEvent event, String key, Delivery delivery, long renderNanos, Tenant tenant) {
        publishRetryingInPlace(event, key, tenant);
        long overheadNanos = System.nanoTime() - delivery.pickupNanos() - renderNanos;
        if (event instanceof JobEvent.Failed failed) {
            metrics.job(failed.retryable() ? "retrying" : "failed", failed.code().name());
        } else {
            metrics.overhead(overheadNanos);
            metrics.job("completed", "NONE");
        }
        return overheadNanos;
    }

    /**
     * A broker blip is not a crash: a publish that times out or fails is repeated (same CloudEvents
     * id, so consumers drop a copy that did arrive) with a doubling pause. While the worker stops, after
     * publish-attempts tries the failure propagates (the record is nacked; the grace covers that budget).
     * While it runs, a longer outage does not fail-stop it: the render is stored, and the event is
     * published again every 8 s until the broker is back (a fail-stopped worker would only be restarted
     * into the same outage and render the job again).
     */
    private void publishRetryingInPlace(JobEvent event, String key, Tenant tenant) {
        int attempts = Math.max(1, config.reliability().publishAttempts());
        long pause = PUBLISH_BACKOFF_MS;
        for (int i = 1; ; i++) {
            try {
                events.publish(event, key, tenant).await().atMost(config.render().publishTimeout());
                return;
            } catch (RuntimeException e) {
                if (i >= attempts && gate.stopped()) {
                    throw e;
                }
                LOG.warnf("publishing %s of %s failed (try %d of %d), again in %d ms: %s", event.cloudEventType(), key,
                        i, attempts, pause, e.toString());
                metrics.publishRetried();
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(PUBLISH_BACKOFF_MAX_MS, pause * 2);
            }
        }
    }

    /**
     * The longest a terminal event's publish may take with its in-place retries: part of what the
     * shutdown grace must cover.
     */
    public static Duration publishBudget(FleetConfig config) {
        int attempts = Math.max(1, config.reliability().publishAttempts());
        long pauses = 0;
        long pause = PUBLISH_BACKOFF_MS;
        for (int i = 1; i < attempts; i++) {
            pauses += pause;
            pause = Math.min(PUBLISH_BACKOFF_MAX_MS, pause * 2);
        }
        return config.render().publishTimeout().multipliedBy(attempts).plusMillis(pauses);
    }
}
