package io.fluxfleet.worker.intake;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.job.ValidationResult;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.tenant.TenantIntake;
import io.fluxfleet.worker.TenantSetup;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.HandBack;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.outcome.Outcomes;
import io.fluxfleet.worker.render.Samplers;
import io.fluxfleet.worker.render.SlotPool;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import java.time.Instant;
import org.jboss.logging.Logger;

/**
 * The intake step: validates a record into a {@link Job}, waits while another worker renders the
 * same job, records the attempt before anything that can take the process down, and refuses jobs
 * this worker must not run (cancelled, model not served, preset unavailable or unfit for the size,
 * deadline passed, crash loop).
 */
@ApplicationScoped
public class JobIntake {

    private static final Logger LOG = Logger.getLogger(JobIntake.class);

    @Inject
    FleetConfig config;

    @Inject
    SlotPool slots;

    @Inject
    CancelRequests cancels;

    @Inject
    AttemptLog attempts;

    @Inject
    AttemptMarkers markers;

    @Inject
    TenantDirectory tenants;

    @Inject
    IntakeGate gate;

    @Inject
    JobTopics topics;

    private JobValidator validator;
    private TenantIntake tenantIntake;
    private Acceleration fleetDefault;

    @PostConstruct
    void init() {
        // The catalog's models, so that names resolve to their kind and defaults as at the gateway and router.
        validator = new JobValidator(TenantSetup.fleetLimits(config), config.lora().toValidatorLimits())
                .withModels(topics.catalog().models());
        fleetDefault = Acceleration.parse(config.defaultAcceleration())
                .filter(Samplers::available)
                .orElseThrow(() -> new IllegalStateException("fluxfleet.default-acceleration '"
                        + config.defaultAcceleration() + "' is not a preset this fleet can run; use one of "
                        + Samplers.AVAILABLE.stream().map(Acceleration::wireName).toList()));
        tenantIntake = new TenantIntake(tenants, validator.limits(), validator.loraLimits(), fleetDefault)
                .withModels(validator.models());
    }

    /**
     * Validates the record for the tenant it names (docs/job-contract.md, Tenants); a request that is
     * not valid throws a rejected {@link JobFailure}. A record
     * taken just before intake closed waits here until it opens again (no attempt spent).
     */
    public Job admit(Delivery delivery) throws InterruptedException {
        if (!gate.awaitOpen()) {
            throw new HandBack("worker stopping: record " + delivery.key() + " handed back uncommitted");
        }
        ValidationResult result = tenantIntake.validate(delivery.value());
        if (result instanceof ValidationResult.Invalid invalid) {
            throw JobFailure.rejected(invalid);
        }
        JobRequest request = ((ValidationResult.Valid) result).request();
        Tenant tenant = tenantIntake.tenantOf(request).orElseThrow();
        String bucket = request.output().bucket() != null ? request.output().bucket() : config.storage().bucket();
        ModelDefinition model = validator.models().find(request.model()).orElseThrow();
        return new Job(delivery, request, model, request.effectiveAcceleration(fleetDefault), bucket, tenant);
    }

    /** Throws a permanent {@link JobFailure} for a job this worker must not render. */
    public void refuseUnrunnable(Job job) {
        JobRequest request = job.request();
        if (cancels.isCancelled(job.jobId())) {
            throw JobFailure.permanent(ErrorCode.CANCELLED, "cancelled before it started");
        }
        ModelDefinition served = servedModel();
        if (served == null) {
            throw JobFailure.permanent(ErrorCode.RENDER_FAILED, "this worker has no model: " + slots.modelError());
        }
        if (!request.model().equals(served.name())) {
            throw JobFailure.permanent(ErrorCode.UNKNOWN_MODEL, "model '" + request.model()
                    + "' is not served by this worker (it serves '" + served.name() + "')");
        }
        Acceleration acceleration = job.acceleration();
        if (!Samplers.available(acceleration)) {
            throw JobFailure.permanent(ErrorCode.UNKNOWN_ACCELERATION, Samplers.unavailableMessage(acceleration));
        }
        String customProblem = Samplers.customProblem(request, acceleration, served.kind() == ModelKind.SCHNELL);
        if (customProblem != null) {
            throw JobFailure.permanent(ErrorCode.INVALID_FIELD, customProblem);
        }
        String sizeProblem = Samplers.sizeProblem(acceleration, request.width(), request.height());
        if (sizeProblem != null) {
            throw JobFailure.permanent(ErrorCode.INVALID_SIZE, sizeProblem);
        }
        if (request.isExpiredAt(Instant.now())) {
            throw JobFailure.permanent(ErrorCode.EXPIRED, "the deadline " + request.deadline() + " passed before pickup");
        }
    }

    /**
     * The crash-loop cap, decided while this worker's claim is the first live one (no other worker can
     * start the job meanwhile) and before the start is counted: a job at the cap is dead-lettered without
     * a recorded start, so the attempts topic never shows more starts than the cap.
     */
    private void refuseCrashLoop(Job job) {
        int crashes = attempts.crashes(job.jobId());
        int cap = config.reliability().crashLoopCap();
        if (crashes >= cap) {
            attempts.withdraw(job.jobId());
            throw JobFailure.permanent(ErrorCode.CRASH_LOOP, crashes + " renders of this job were started and none"
                    + " finished (cap " + cap + "): dead-lettered");
        }
    }

    /**
     * Another worker renders this job right now (a live lease: it kept the job after its partition
     * moved here). Waits until it ends, at most as long as a render, its upload and its terminal event
     * may take, so that the result is then answered from its sidecar instead of rendered twice.
     */
    public void awaitRenderElsewhere(Job job) throws InterruptedException {
        awaitRenderElsewhere(job, System.nanoTime() + renderElsewhereBudget().toNanos());
    }

    /**
     * Records the start on the attempts topic (the crash counter), before anything that can take the
     * process down: first a claim, which orders this start against other workers'. When another worker's
     * live claim or start of the same job lies before it (both held the record after a rebalance and
     * decided at once), this claim gives way: it is withdrawn, never counted, and the worker waits for the
     * other render, as {@link #awaitRenderElsewhere(Job)} does, then tries again. Otherwise it is confirmed
     * as an open start.
     *
     * @return empty once the start is recorded; how this very record was handled instead, when it is a
     *     redelivery of a record a worker already sent to the retry topic or the dead letters (found before
     *     the claim, and again after waiting for another worker's render): then nothing was started
     */
    public Optional<String> recordAttempt(Job job) throws InterruptedException {
        long deadline = System.nanoTime() + renderElsewhereBudget().toNanos();
        while (true) {
            Optional<String> handled = markers.handledBefore(job.jobId(), job.delivery());
            if (handled.isPresent()) {
                return handled;
            }
            AttemptLog.Start start = startWhileRunning(job);
            if (!attempts.givesWay(start) || System.nanoTime() >= deadline) {
                if (System.nanoTime() >= deadline) {
                    LOG.warnf("job %s: another worker's start still precedes this one after %s; rendering anyway",
                            job.jobId(), renderElsewhereBudget());
                }
                refuseCrashLoop(job);
                confirmWhileRunning(job);
                return Optional.empty();
            }
            attempts.withdraw(job.jobId());
            LOG.infof("job %s: another worker started it just before this one; waiting for its render", job.jobId());
            awaitRenderElsewhere(job, deadline);
        }
    }

    /** A broker outage longer than the publish budget is waited out while the worker runs (not a fail-stop). */
    private AttemptLog.Start startWhileRunning(Job job) throws InterruptedException {
        while (true) {
            try {
                markers.startReplay(job.jobId(), job.delivery().replayedAt(), Outcomes.publishBudget(config));
                return attempts.claim(job.jobId(), Outcomes.publishBudget(config));
            } catch (IllegalStateException e) {
                if (gate.stopped()) {
                    throw new HandBack("job " + job.jobId() + ": worker stopping, its start not recorded: " + e.getMessage());
                }
                LOG.warnf("job %s: %s; trying again", job.jobId(), e.getMessage());
            }
        }
    }

    private void confirmWhileRunning(Job job) throws InterruptedException {
        while (true) {
            try {
                attempts.confirm(job.jobId(), Outcomes.publishBudget(config));
                return;
            } catch (IllegalStateException e) {
                if (gate.stopped()) {
                    throw new HandBack("job " + job.jobId() + ": worker stopping, its start not recorded: " + e.getMessage());
                }
                LOG.warnf("job %s: %s; trying again", job.jobId(), e.getMessage());
            }
        }
    }

    private void awaitRenderElsewhere(Job job, long deadlineNanos) throws InterruptedException {
        while (attempts.renderingElsewhere(job.jobId()) && System.nanoTime() < deadlineNanos) {
            if (gate.stopped()) {
                throw new HandBack("job " + job.jobId() + ": intake closed while waiting for another worker's render");
            }
            Thread.sleep(500);
        }
    }

    private Duration renderElsewhereBudget() {
        return config.render().timeout().plus(config.reliability().uploadBudget()).plus(config.render().publishTimeout());
    }

    /** The attempt ended without taking the process down: not a crash, whatever its outcome. */
    public void attemptEnded(Job job) {
        attempts.end(job.jobId());
    }

    private ModelDefinition servedModel() {
        try {
            return slots.awaitModelOpen(Duration.ofMinutes(2)) ? slots.served() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The validator with the fleet's limits (each tenant's are within them). */
    public JobValidator validator() {
        return validator;
    }
}
