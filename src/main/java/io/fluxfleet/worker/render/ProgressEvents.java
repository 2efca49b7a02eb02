package io.fluxfleet.worker.render;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.WorkerIdentity;
import io.fluxfleet.worker.intake.CancelRequests;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.worker.outcome.EventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The step observer of a render: progress events at most every N steps, and the cancel, deadline and
 * render-timeout checks between steps (a CancellationException stops the sampler).
 *
 * <p>Progress is best effort. Sending never blocks the render thread (the connector's producer runs
 * on its own thread), but every event sent waits in the events channel until the broker acknowledges
 * it, in the same queue as the terminal events; so while more than
 * {@code fluxfleet.progress.max-unacknowledged} are unacknowledged (a broker blip), further progress
 * events are dropped and counted instead of piling up ahead of the job's terminal event.
 */
@ApplicationScoped
public class ProgressEvents {

    private static final Logger LOG = Logger.getLogger(ProgressEvents.class);

    /** Marks a cancel request in a CancellationException from the step observer. */
    public static final String CANCELLED_MESSAGE = "cancelled by a control request";
    /** Marks a passed deadline in a CancellationException from the step observer. */
    public static final String DEADLINE_MESSAGE = "deadline";

    @Inject
    FleetConfig config;

    @Inject
    EventPublisher events;

    @Inject
    CancelRequests cancels;

    @Inject
    WorkerIdentity identity;

    @Inject
    FleetMetrics metrics;

    /** Progress events of this worker sent and not yet acknowledged (or failed). */
    private final AtomicInteger unacknowledged = new AtomicInteger();

    /** An observer for one engine render of job; progress fractions count against plannedEvaluations. */
    public StepObserver observer(Job job, long plannedEvaluations) {
        long start = System.nanoTime();
        long timeoutNanos = config.render().timeout().toNanos();
        int every = Math.max(1, config.progress().everySteps());
        return (step, totalSteps, sigma, tokenEvaluations) -> {
            Instant now = Instant.now();
            if (cancels.isCancelled(job.jobId())) {
                throw new CancellationException(CANCELLED_MESSAGE + " at step " + step + " of " + totalSteps);
            }
            if (job.request().isExpiredAt(now)) {
                throw new CancellationException(DEADLINE_MESSAGE + " " + job.request().deadline() + " passed at step "
                        + step);
            }
            long elapsed = System.nanoTime() - start;
            if (elapsed > timeoutNanos) {
                throw new CancellationException("render timeout " + config.render().timeout() + " exceeded at step "
                        + step + " of " + totalSteps);
            }
            if (step % every != 0 || totalSteps < 1 || step > totalSteps) {
                return;
            }
            double fraction = plannedEvaluations > 0
                    ? Math.min(1.0, (double) tokenEvaluations / plannedEvaluations)
                    : (double) step / totalSteps;
            double s = Float.isFinite(sigma) ? Math.max(0.0, sigma) : 0.0;
            publish(new JobEvent.Progress(JobEvent.VERSION, job.jobId(), identity.id(), job.attempt(),
                    now, step, totalSteps, Math.round(fraction * 1e4) / 1e4, s, Math.max(0, tokenEvaluations),
                    elapsed / 1_000_000), job);
        };
    }

    /** Sends without waiting, or drops the event while too many are unacknowledged. */
    private void publish(JobEvent.Progress event, Job job) {
        if (unacknowledged.incrementAndGet() > config.progress().maxUnacknowledged()) {
            unacknowledged.decrementAndGet();
            metrics.droppedProgress();
            return;
        }
        events.publish(event, job.jobId(), job.tenant()).subscribe().with(ok -> unacknowledged.decrementAndGet(),
                failure -> {
                    unacknowledged.decrementAndGet();
                    LOG.debugf("progress %d of %s not published: %s", event.step(), job.jobId(), failure.toString());
                });
    }
}
