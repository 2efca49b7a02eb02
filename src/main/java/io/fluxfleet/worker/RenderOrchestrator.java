package io.fluxfleet.worker;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.routing.Lane;
import io.fluxfleet.routing.LaneScheduler;
import io.fluxfleet.worker.intake.Attempt;
import io.fluxfleet.worker.intake.Delivery;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.worker.intake.JobIntake;
import io.fluxfleet.worker.intake.LaneTurns;
import io.fluxfleet.worker.intake.RetryIntake;
import io.fluxfleet.worker.outcome.Outcome;
import io.fluxfleet.worker.outcome.Outcomes;
import io.fluxfleet.worker.render.Rendered;
import io.fluxfleet.worker.render.Renderer;
import io.fluxfleet.worker.store.EarlierResults;
import io.fluxfleet.worker.store.ResultStore;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Incoming;

/**
 * The worker: takes job records off its pool's three priority lanes ({@code fluxfleet.jobs.high},
 * {@code fluxfleet.jobs}, {@code fluxfleet.jobs.low}; a record waits for its lane's render turn, see
 * {@link LaneTurns}) and the retry topic, and runs each
 * through four steps, each owned by its own package: intake (validate, refuse, record the attempt),
 * render (slot, engine, out-of-memory), store (encode, upload, sidecar) and outcome (events, retry,
 * dead letter). See docs/reliability.md.
 *
 * <p>Threading: the Kafka connector polls on its own thread; each record is handled on the
 * lane's worker pool ({@code render-pool-high}, {@code render-pool}, {@code render-pool-low}: one
 * thread per slot plus one whose record waits for the next turn, unordered), so renders never block the
 * event loop; retry records on {@link RetryIntake}'s retry pool (sized to the slot count). The record
 * is acknowledged once its terminal event is acknowledged by the broker.
 */
@ApplicationScoped
public class RenderOrchestrator {

    @Inject
    JobIntake intake;

    @Inject
    EarlierResults earlierResults;

    @Inject
    Renderer renderer;

    @Inject
    ResultStore results;

    @Inject
    Outcomes outcomes;

    @Inject
    FleetConfig config;

    @Inject
    InFlightJobs inFlightJobs;

    @Inject
    LaneTurns turns;

    @Inject
    RetryIntake retries;

    @Inject
    HandedBackRecords handedBack;

    @ConfigProperty(name = "fluxfleet.gateway.only", defaultValue = "false")
    boolean gatewayOnly;

    @Incoming("jobs-high")
    @Blocking(value = "render-pool-high", ordered = false)
    public void onHighJob(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        handleInTurn(Lane.HIGH, record);
    }

    @Incoming("jobs")
    @Blocking(value = "render-pool", ordered = false)
    public void onJob(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        handleInTurn(Lane.NORMAL, record);
    }

    @Incoming("jobs-low")
    @Blocking(value = "render-pool-low", ordered = false)
    public void onLowJob(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        handleInTurn(Lane.LOW, record);
    }

    /** A lane's record waits for its render turn (higher lanes first), then is handled as attempt 1. */
    private void handleInTurn(Lane lane, ConsumerRecord<String, byte[]> record) throws InterruptedException {
        try (LaneScheduler.Turn turn = turns.await(lane, record.key())) {
            handle(Delivery.of(record, Attempt.FIRST));
        } catch (HandBack handBack) {
            handedBack.hold(handBack);
        }
    }

    /** The retry topic: {@link RetryIntake} hands over each record once its not-before time has come. */
    void startRetries(@Observes StartupEvent event) {
        if (!gatewayOnly) {
            retries.start(this::onRetry);
        }
    }

    /** A due retry-topic record: handled as attempt N with the errors of the earlier attempts. */
    void onRetry(ConsumerRecord<String, byte[]> record) throws InterruptedException {
        Attempt attempt;
        try {
            attempt = Attempt.of(record);
        } catch (JobFailure unreadableHeaders) {
            outcomes.failed(Delivery.of(record, Attempt.FIRST), null, unreadableHeaders);
            return;
        }
        handle(Delivery.of(record, attempt));
    }

    Outcome handle(Delivery delivery) throws InterruptedException {
        try (InFlightJobs.Claim inFlight = inFlightJobs.enter()) {
            Job job = null;
            try {
                job = intake.admit(delivery);
                try (InFlightJobs.Claim onlyRenderOfThisJob = inFlightJobs.claim(job.jobId())) {
                    intake.awaitRenderElsewhere(job);
                    Optional<String> handledBefore = intake.recordAttempt(job);
                    if (handledBefore.isPresent()) {
                        return outcomes.handledBefore(job, handledBefore.get());
                    }
                    try {
                        return renderOrAnswer(job);
                    } catch (JobFailure failure) {
                        // The outcome (retry record, dead letter, handled marker) is written while this start's
                        // lease still holds, so a worker waiting on the lease finds the marker when it ends.
                        return outcomes.failed(delivery, job, failure);
                    } finally {
                        intake.attemptEnded(job);
                    }
                }
            } catch (JobFailure failure) {
                return outcomes.failed(delivery, job, failure);
            }
        }
    }

    private Outcome renderOrAnswer(Job job) {
        Optional<JobEvent.Completed> earlier = earlierResults.find(job);
        if (earlier.isPresent()) {
            return outcomes.answeredFromSidecar(job, earlier.get());
        }
        intake.refuseUnrunnable(job);
        Rendered rendered = renderer.render(job);
        JobEvent.Completed completed = results.store(job, rendered);
        return outcomes.completed(job, rendered, completed);
    }
}
