package io.fluxfleet.worker;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.Model;
import io.fluxfleet.job.ObjectKeys;
import io.fluxfleet.job.ValidationResult;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.storage.StorageException;
import io.smallrye.reactive.messaging.annotations.Blocking;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.jboss.logging.Logger;

/**
 * The worker: takes job records off {@code fluxfleet.jobs}, validates them, renders on a free device
 * slot, uploads the image and its sidecar, and publishes started / progress / completed (or failed).
 *
 * <p>Threading: the Kafka connector polls on its own thread; each record is handled on the
 * {@code render-pool} worker pool (sized to the slot count, unordered), so renders never block the
 * event loop and the consumer keeps polling (partitions paused) while they run. The value arrives as
 * bytes: a payload that is not JSON is a validation failure, not a deserialisation crash.
 *
 * <p>Failures: every failure of a job (invalid request, unavailable preset, render or storage error,
 * expired deadline) becomes a terminal {@code failed} event and the record is acknowledged. Only a
 * failure to publish that event propagates (the record is nacked, the channel's failure strategy
 * decides). Retry topics and the DLQ come with the reliability work.
 */
@ApplicationScoped
public class RenderOrchestrator {

    private static final Logger LOG = Logger.getLogger(RenderOrchestrator.class);
    /** The first delivery; counting attempts across retries and crashes comes with the retry topics. */
    static final int ATTEMPT = 1;

    @Inject
    FleetConfig config;

    @Inject
    SlotPool slots;

    @Inject
    EventPublisher events;

    @Inject
    FleetMetrics metrics;

    @Inject
    WorkerIdentity identity;

    @Inject
    ObjectStore store;

    private JobValidator validator;
    private Acceleration fleetDefault;

    @PostConstruct
    void init() {
        validator = new JobValidator(config.limits().toValidatorLimits(config.storage().bucket()));
        fleetDefault = Acceleration.parse(config.defaultAcceleration())
                .filter(Samplers::available)
                .orElseThrow(() -> new IllegalStateException("fluxfleet.default-acceleration '"
                        + config.defaultAcceleration() + "' is not a preset this fleet can run; use one of "
                        + Samplers.AVAILABLE.stream().map(Acceleration::wireName).toList()));
    }

    @Incoming("jobs")
    @Blocking(value = "render-pool", ordered = false)
    public void onJob(ConsumerRecord<String, byte[]> record) {
        handle(record.key(), record.value(), record.timestamp());
    }

    /** What became of one record (for logs and tests). */
    public enum Outcome { COMPLETED, FAILED }

    Outcome handle(String recordKey, byte[] value, long recordTimestampMs) {
        long pickupNanos = System.nanoTime();
        Instant pickup = Instant.now();
        long queueWaitMs = recordTimestampMs > 0 ? Math.max(0, pickup.toEpochMilli() - recordTimestampMs) : 0;
        metrics.queueWait(queueWaitMs);

        ValidationResult result = validator.validate(value);
        if (result instanceof ValidationResult.Invalid invalid) {
            JobEvent.Failed failed = JobEvent.Failed.rejected(invalid, identity.id(), ATTEMPT, Instant.now());
            String key = invalid.jobId() != null ? invalid.jobId() : recordKey;
            LOG.infof("job %s rejected: %s", key, failed.message());
            return terminal(failed, key, pickupNanos, 0);
        }
        JobRequest request = ((ValidationResult.Valid) result).request();
        String jobId = request.jobId();
        Acceleration acceleration = request.effectiveAcceleration(fleetDefault);

        // Permanent worker-side refusals (model not served, preset not available or not for this size,
        // deadline passed): never reach a slot.
        Model served = servedModel();
        if (served == null) {
            return fail(request, ErrorCode.RENDER_FAILED, "this worker has no model: " + slots.modelError(),
                    pickupNanos, 0);
        }
        if (request.model() != served) {
            return fail(request, ErrorCode.UNKNOWN_MODEL, "model '" + request.model().wireName()
                    + "' is not served by this fleet (it serves '" + served.wireName() + "')", pickupNanos, 0);
        }
        if (!Samplers.available(acceleration)) {
            return fail(request, ErrorCode.UNKNOWN_ACCELERATION, Samplers.unavailableMessage(acceleration),
                    pickupNanos, 0);
        }
        String sizeProblem = Samplers.sizeProblem(acceleration, request.width(), request.height());
        if (sizeProblem != null) {
            return fail(request, ErrorCode.INVALID_SIZE, sizeProblem, pickupNanos, 0);
        }
        if (request.isExpiredAt(Instant.now())) {
            return fail(request, ErrorCode.EXPIRED, "the deadline " + request.deadline() + " passed before pickup",
                    pickupNanos, 0);
        }

        Slot slot;
        try {
            slot = slots.acquire(jobId, config.render().timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(request, ErrorCode.RENDER_FAILED, "interrupted while waiting for a device slot", pickupNanos, 0);
        }
        if (slot == null) {
            return fail(request, ErrorCode.RENDER_FAILED, "no device slot became available: " + slotProblems(),
                    pickupNanos, 0);
        }

        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
        float guidance = (float) (request.guidance() != null ? request.guidance() : JobRequest.DEFAULT_GUIDANCE);
        RenderResult rendered;
        long renderNanos;
        LatentGrid grid = LatentGrid.forImage(request.width(), request.height());
        events.publishAndForget(new JobEvent.Started(JobEvent.VERSION, jobId, identity.id(), ATTEMPT, Instant.now(),
                slot.device(), queueWaitMs), jobId);
        try {
            FluxPipeline pipeline = slot.pipeline();
            Sampler sampler = Samplers.create(acceleration, pipeline, request.steps());
            ProgressReporter progress = new ProgressReporter(request, Samplers.plannedTokenEvaluations(sampler, grid));
            metrics.engineRenderStarted();
            long r0 = System.nanoTime();
            rendered = pipeline.render(new RenderRequest(request.prompt(), request.width(), request.height(), seed,
                    guidance), sampler, progress);
            renderNanos = System.nanoTime() - r0;
        } catch (CancellationException e) {
            return fail(request, e.getMessage() != null && e.getMessage().startsWith("deadline")
                    ? ErrorCode.EXPIRED : ErrorCode.RENDER_FAILED, String.valueOf(e.getMessage()), pickupNanos, 0);
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "job %s: render failed on %s", jobId, slot.device());
            return fail(request, ErrorCode.RENDER_FAILED, "render failed on " + slot.device() + ": " + e,
                    pickupNanos, 0);
        } finally {
            slots.release(slot);
        }

        JobEvent.Completed completed;
        String bucket = request.output().bucket() != null ? request.output().bucket() : config.storage().bucket();
        try {
            completed = store(request, rendered, acceleration, seed, bucket, slot.device(), grid, served, queueWaitMs,
                    pickupNanos);
        } catch (StorageException e) {
            LOG.errorf("job %s: %s", jobId, e.getMessage());
            return fail(request, ErrorCode.STORAGE_FAILED, e.getMessage(), pickupNanos, renderNanos);
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: failed after the render", jobId);
            return fail(request, ErrorCode.RENDER_FAILED, "failed after the render: " + e, pickupNanos, renderNanos);
        }
        metrics.rendered(acceleration.wireName(), renderNanos, rendered.steps(), rendered.timings().denoiseMs(),
                rendered.tokenEvaluations(), completed.flopsSavedFraction());
        long overheadNanos = publishTerminal(completed, jobId, pickupNanos, renderNanos);
        LOG.infof("job %s completed on %s: s3://%s/%s (%d bytes, %s, %d steps, render %d ms, overhead %.1f ms)",
                jobId, slot.device(), bucket, completed.key(), completed.bytes(), acceleration.wireName(),
                rendered.steps(), renderNanos / 1_000_000, overheadNanos / 1e6);
        return Outcome.COMPLETED;
    }

    /**
     * Encodes the image, uploads it and then its sidecar (a sidecar means a complete image), presigns
     * a URL, and returns the completed event (not yet published).
     */
    private JobEvent.Completed store(JobRequest request, RenderResult rendered, Acceleration acceleration, long seed,
            String bucket, String device, LatentGrid grid, Model served, long queueWaitMs, long pickupNanos) {
        String jobId = request.jobId();
        long e0 = System.nanoTime();
        byte[] image = ImageEncoding.encode(rendered.image(), request.output().format());
        String sha256 = ImageEncoding.sha256(image);
        long encodeMs = (System.nanoTime() - e0) / 1_000_000;
        String imageKey = ObjectKeys.imageKey(request);
        String sidecarKey = ObjectKeys.sidecarKey(request);
        String contentType = request.output().format().contentType();
        List<Long> perStage = rendered.stages().stream().map(SamplingResult.Stage::tokenEvaluations).toList();
        double flopsSaved = flopsSavedFraction(rendered, grid, served);
        RenderResult.Timings t = rendered.timings();

        long u0 = System.nanoTime();
        store.put(bucket, imageKey, image, contentType);
        JobEvent.Timings imageTimings = new JobEvent.Timings(queueWaitMs, t.textEncodeMs(), t.denoiseMs(), t.decodeMs(),
                encodeMs, (System.nanoTime() - u0) / 1_000_000, queueWaitMs + (System.nanoTime() - pickupNanos) / 1_000_000);
        Sidecar sidecar = new Sidecar(Sidecar.VERSION, jobId, bucket, imageKey, contentType, image.length, sha256,
                request.width(), request.height(), seed, request.model(), acceleration, rendered.sampler(),
                rendered.steps(), rendered.tokenEvaluations(), perStage, flopsSaved, imageTimings, identity.id(), device,
                ATTEMPT, Instant.now(), request);
        store.put(bucket, sidecarKey, JobJson.toJson(sidecar).getBytes(StandardCharsets.UTF_8), "application/json");
        String presignedUrl = null;
        Instant presignedExpiresAt = null;
        Duration expiry = config.storage().presignExpiry();
        if (!expiry.isZero()) {
            presignedExpiresAt = Instant.now().plus(expiry);
            presignedUrl = store.presignedGetUrl(bucket, imageKey, expiry);
        }
        long uploadMs = (System.nanoTime() - u0) / 1_000_000;
        JobEvent.Timings timings = new JobEvent.Timings(queueWaitMs, t.textEncodeMs(), t.denoiseMs(), t.decodeMs(),
                encodeMs, uploadMs, queueWaitMs + (System.nanoTime() - pickupNanos) / 1_000_000);
        return new JobEvent.Completed(JobEvent.VERSION, jobId, identity.id(), ATTEMPT, Instant.now(), device, bucket,
                imageKey, sidecarKey, contentType, image.length, sha256, request.width(), request.height(), seed,
                request.model(), acceleration, rendered.steps(), timings, rendered.tokenEvaluations(), perStage,
                flopsSaved, request.labels(), presignedUrl, presignedExpiresAt);
    }

    private Model servedModel() {
        try {
            return slots.awaitModelOpen(Duration.ofMinutes(2)) ? slots.served() : null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private String slotProblems() {
        StringBuilder text = new StringBuilder();
        for (Slot s : slots.slots()) {
            text.append(s).append(s.error() != null ? ": " + s.error() : "").append("; ");
        }
        return text.toString();
    }

    /** 1 - FLOPs / FLOPs of 50 full steps, from the stages the sampler actually ran. */
    private double flopsSavedFraction(RenderResult rendered, LatentGrid grid, Model served) {
        long[][] stages = rendered.stages().stream()
                .map(s -> new long[] {s.steps(), s.tokensPerStep()}).toArray(long[][]::new);
        long textTokens = served == Model.DEV ? 512 : 256;
        double saved = FlopsModel.savedFraction(slots.model().transformerConfig(), stages, grid.tokens(), textTokens);
        return Double.isFinite(saved) ? Math.min(1.0, saved) : 0.0;
    }

    private Outcome fail(JobRequest request, ErrorCode code, String message, long pickupNanos, long renderNanos) {
        Instant now = Instant.now();
        // Terminal for now: nothing retries yet, so a "retryable: true" event would promise a later one.
        JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, request.jobId(), identity.id(), ATTEMPT, now,
                code, message, false,
                List.of(new JobEvent.AttemptError(ATTEMPT, code, message, now, identity.id())), List.of(),
                request.labels());
        LOG.infof("job %s failed: %s %s", request.jobId(), code, message);
        return terminal(failed, request.jobId(), pickupNanos, renderNanos);
    }

    private Outcome terminal(JobEvent.Failed event, String key, long pickupNanos, long renderNanos) {
        publishTerminal(event, key, pickupNanos, renderNanos);
        return Outcome.FAILED;
    }

    /**
     * Publishes the terminal event and waits for the broker's ack (only then is the job record acked);
     * returns the job's overhead: the time since pickup minus the engine render.
     */
    private long publishTerminal(JobEvent event, String key, long pickupNanos, long renderNanos) {
        events.publish(event, key).await().atMost(config.render().publishTimeout());
        long overheadNanos = System.nanoTime() - pickupNanos - renderNanos;
        if (event instanceof JobEvent.Failed failed) {
            metrics.job("failed", failed.code().name());
        } else {
            metrics.overhead(overheadNanos);
            metrics.job("completed", "NONE");
        }
        return overheadNanos;
    }

    /**
     * Progress events at most every N steps, and the deadline / render-timeout checks between steps
     * (a CancellationException stops the sampler).
     */
    private final class ProgressReporter implements StepObserver {

        private final JobRequest request;
        private final int every;
        private final long plannedEvaluations;
        private final long start = System.nanoTime();
        private final long timeoutNanos = config.render().timeout().toNanos();

        ProgressReporter(JobRequest request, long plannedEvaluations) {
            this.request = request;
            this.every = Math.max(1, config.progress().everySteps());
            this.plannedEvaluations = plannedEvaluations;
        }

        @Override
        public void onStep(int step, int totalSteps, float sigma, long tokenEvaluations) {
            Instant now = Instant.now();
            if (request.isExpiredAt(now)) {
                throw new CancellationException("deadline " + request.deadline() + " passed at step " + step);
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
            events.publishAndForget(new JobEvent.Progress(JobEvent.VERSION, request.jobId(), identity.id(), ATTEMPT,
                    now, step, totalSteps, Math.round(fraction * 1e4) / 1e4, s, Math.max(0, tokenEvaluations),
                    elapsed / 1_000_000), request.jobId());
        }
    }

    /** The validator with the configured limits. */
    public JobValidator validator() {
        return validator;
    }
}
