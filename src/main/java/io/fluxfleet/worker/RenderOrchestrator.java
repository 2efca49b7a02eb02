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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ThreadLocalRandom;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
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
    private static final ObjectMapper JSON = JobJson.newMapper();
    /** Marks a cancel request in a CancellationException from the step observer. */
    static final String CANCELLED_MESSAGE = "cancelled by a control request";

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

    @Inject
    ReliabilityTopics topics;

    @Inject
    EngineFailures engineFailures;

    /** Where a record stands: its attempt number, first failure and the errors of earlier attempts. */
    record Attempt(int number, Instant firstFailure, List<JobEvent.AttemptError> errors) {
        static final Attempt FIRST = new Attempt(1, null, List.of());
    }

    /** One record being handled. */
    private record Ctx(String key, byte[] value, Attempt attempt) {
        int n() {
            return attempt.number();
        }
    }

    private JobValidator validator;
    private volatile boolean stopping;

    /** SIGTERM: take no new record; the one in flight finishes (SlotPool waits fluxfleet.shutdown.grace). */
    void onStop(@jakarta.enterprise.event.Observes @jakarta.annotation.Priority(1) io.quarkus.runtime.ShutdownEvent event) {
        stopping = true;
        LOG.info("stopping: no new jobs are started; the job in flight may finish within fluxfleet.shutdown.grace");
    }
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
        handle(record.key(), record.value(), record.timestamp(), Attempt.FIRST);
    }

    /**
     * The retry topic: waits (on its own pool, so the jobs channel is never blocked) until the record's
     * not-before time, then handles it as attempt N with the errors of the earlier attempts.
     */
    @Incoming("retries")
    @Blocking(value = "retry-pool", ordered = false)
    public void onRetry(ConsumerRecord<String, byte[]> record) {
        Attempt attempt = attemptOf(record);
        long notBefore = longHeader(record, ReliabilityTopics.H_NOT_BEFORE, 0);
        long maxWait = config.reliability().maxBackoff().toMillis() + 5_000;
        long wait = Math.min(maxWait, notBefore - System.currentTimeMillis());
        if (wait > 0) {
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting to retry " + record.key(), e);
            }
        }
        handle(record.key(), record.value(), record.timestamp(), attempt);
    }

    static Attempt attemptOf(ConsumerRecord<String, byte[]> record) {
        int n = (int) Math.max(1, longHeader(record, ReliabilityTopics.H_ATTEMPT, 1));
        String first = header(record, ReliabilityTopics.H_FIRST_FAILURE);
        List<JobEvent.AttemptError> errors = new ArrayList<>();
        String json = header(record, ReliabilityTopics.H_ERRORS);
        if (json != null) {
            try {
                for (JsonNode e : JSON.readTree(json)) {
                    errors.add(JSON.treeToValue(e, JobEvent.AttemptError.class));
                }
            } catch (Exception e) {
                LOG.warnf("job %s: unreadable %s header: %s", record.key(), ReliabilityTopics.H_ERRORS, e.toString());
            }
        }
        return new Attempt(n, first != null ? Instant.parse(first) : null, errors);
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static long longHeader(ConsumerRecord<String, byte[]> record, String name, long fallback) {
        try {
            String v = header(record, name);
            return v == null ? fallback : Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** What became of one record (for logs and tests). */
    public enum Outcome { COMPLETED, FAILED, RETRYING }

    Outcome handle(String recordKey, byte[] value, long recordTimestampMs) {
        return handle(recordKey, value, recordTimestampMs, Attempt.FIRST);
    }

    Outcome handle(String recordKey, byte[] value, long recordTimestampMs, Attempt attempt) {
        if (stopping) {
            // Not started: leave the record uncommitted; the next owner of the partition takes it.
            throw new IllegalStateException("worker stopping: record " + recordKey + " handed back uncommitted");
        }
        Ctx ctx = new Ctx(recordKey, value, attempt);
        final int ATTEMPT = attempt.number();
        long pickupNanos = System.nanoTime();
        Instant pickup = Instant.now();
        long queueWaitMs = recordTimestampMs > 0 ? Math.max(0, pickup.toEpochMilli() - recordTimestampMs) : 0;
        metrics.queueWait(queueWaitMs);

        ValidationResult result = validator.validate(value);
        if (result instanceof ValidationResult.Invalid invalid) {
            JobEvent.Failed failed = JobEvent.Failed.rejected(invalid, identity.id(), ATTEMPT, Instant.now());
            String key = invalid.jobId() != null ? invalid.jobId() : recordKey;
            LOG.infof("job %s rejected: %s", key, failed.message());
            deadLetter(ctx, key, failed);
            return terminal(failed, key, pickupNanos, 0);
        }
        JobRequest request = ((ValidationResult.Valid) result).request();
        String jobId = request.jobId();
        Acceleration acceleration = request.effectiveAcceleration(fleetDefault);
        String outBucket = request.output().bucket() != null ? request.output().bucket() : config.storage().bucket();

        // Idempotency: an image with its sidecar already stored is answered from the sidecar, unrendered.
        Optional<JobEvent.Completed> previous = previouslyCompleted(request, outBucket);
        if (previous.isPresent()) {
            LOG.infof("job %s already completed (s3://%s/%s): answered from its sidecar", jobId, outBucket,
                    previous.get().key());
            publishTerminal(previous.get(), jobId, pickupNanos, 0);
            topics.forget(jobId);
            return Outcome.COMPLETED;
        }
        if (topics.isCancelled(jobId)) {
            return fail(ctx, request, ErrorCode.CANCELLED, "cancelled before it started", pickupNanos, 0);
        }

        // Permanent worker-side refusals (model not served, preset not available or not for this size,
        // deadline passed): never reach a slot.
        Model served = servedModel();
        if (served == null) {
            return fail(ctx, request, ErrorCode.RENDER_FAILED, "this worker has no model: " + slots.modelError(),
                    pickupNanos, 0);
        }
        if (request.model() != served) {
            return fail(ctx, request, ErrorCode.UNKNOWN_MODEL, "model '" + request.model().wireName()
                    + "' is not served by this fleet (it serves '" + served.wireName() + "')", pickupNanos, 0);
        }
        if (!Samplers.available(acceleration)) {
            return fail(ctx, request, ErrorCode.UNKNOWN_ACCELERATION, Samplers.unavailableMessage(acceleration),
                    pickupNanos, 0);
        }
        String customProblem = Samplers.customProblem(request, acceleration, served == Model.SCHNELL);
        if (customProblem != null) {
            return fail(ctx, request, ErrorCode.INVALID_FIELD, customProblem, pickupNanos, 0);
        }
        String sizeProblem = Samplers.sizeProblem(acceleration, request.width(), request.height());
        if (sizeProblem != null) {
            return fail(ctx, request, ErrorCode.INVALID_SIZE, sizeProblem, pickupNanos, 0);
        }
        if (request.isExpiredAt(Instant.now())) {
            return fail(ctx, request, ErrorCode.EXPIRED, "the deadline " + request.deadline() + " passed before pickup",
                    pickupNanos, 0);
        }

        int crashes = topics.attempts(jobId);
        if (crashes >= config.reliability().crashLoopCap()) {
            return fail(ctx, request, ErrorCode.CRASH_LOOP, crashes + " renders of this job were started and none"
                    + " finished (cap " + config.reliability().crashLoopCap() + "): dead-lettered", pickupNanos, 0);
        }

        Slot slot;
        try {
            slot = slots.acquire(jobId, config.render().timeout());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(ctx, request, ErrorCode.RENDER_FAILED, "interrupted while waiting for a device slot", pickupNanos, 0);
        }
        if (slot == null) {
            return retryLater(ctx, request, ErrorCode.RENDER_FAILED, "no device slot became available: "
                    + slotProblems(), pickupNanos, 0);
        }

        long seed = request.seed() != null ? request.seed() : ThreadLocalRandom.current().nextLong(Long.MAX_VALUE);
        float guidance = (float) (request.guidance() != null ? request.guidance() : JobRequest.DEFAULT_GUIDANCE);
        RenderResult rendered;
        long renderNanos;
        LatentGrid grid = LatentGrid.forImage(request.width(), request.height());
        events.publishAndForget(new JobEvent.Started(JobEvent.VERSION, jobId, identity.id(), ATTEMPT, Instant.now(),
                slot.device(), queueWaitMs), jobId);
        try {
            topics.renderStarted(jobId);
            testHookAtStart(request);
            FluxPipeline pipeline = slot.pipeline();
            long r0 = System.nanoTime();
            for (int inPlace = 0; ; inPlace++) {
                Sampler sampler = Samplers.create(request, acceleration, pipeline);
                ProgressReporter progress = new ProgressReporter(request, Samplers.plannedTokenEvaluations(sampler, grid),
                        ATTEMPT);
                metrics.engineRenderStarted();
                try {
                    rendered = pipeline.render(new RenderRequest(request.prompt(), request.width(), request.height(),
                            seed, guidance), sampler, progress);
                    break;
                } catch (CancellationException e) {
                    throw e;
                } catch (RuntimeException | Error e) {
                    EngineFailures.Kind kind = engineFailures.failed(e);
                    if (kind == EngineFailures.Kind.OUT_OF_MEMORY && inPlace == 0) {
                        LOG.warnf("job %s: out of memory on %s; freeing caches and retrying once in place", jobId,
                                slot.device());
                        EngineFailures.freeCaches();
                        continue;
                    }
                    throw e;
                }
            }
            renderNanos = System.nanoTime() - r0;
            engineFailures.succeeded();
        } catch (CancellationException e) {
            String m = String.valueOf(e.getMessage());
            if (m.startsWith(CANCELLED_MESSAGE)) {
                return fail(ctx, request, ErrorCode.CANCELLED, m, pickupNanos, 0);
            }
            if (m.startsWith("deadline")) {
                return fail(ctx, request, ErrorCode.EXPIRED, m, pickupNanos, 0);
            }
            return retryLater(ctx, request, ErrorCode.RENDER_FAILED, m, pickupNanos, 0);
        } catch (RuntimeException | Error e) {
            EngineFailures.Kind kind = EngineFailures.classify(e);
            LOG.errorf(e, "job %s: render failed on %s (%s)", jobId, slot.device(), kind);
            return retryLater(ctx, request, ErrorCode.RENDER_FAILED, "render failed on " + slot.device() + " ("
                    + kind + "): " + e, pickupNanos, 0);
        } finally {
            slots.release(slot);
        }

        JobEvent.Completed completed;
        String bucket = outBucket;
        try {
            completed = store(request, rendered, acceleration, seed, bucket, slot.device(), grid, served, queueWaitMs,
                    pickupNanos, ATTEMPT);
        } catch (StorageException e) {
            LOG.errorf("job %s: %s", jobId, e.getMessage());
            return retryLater(ctx, request, ErrorCode.STORAGE_FAILED, e.getMessage(), pickupNanos, renderNanos);
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: failed after the render", jobId);
            return retryLater(ctx, request, ErrorCode.RENDER_FAILED, "failed after the render: " + e, pickupNanos,
                    renderNanos);
        }
        metrics.rendered(acceleration.wireName(), renderNanos, rendered.steps(), rendered.timings().denoiseMs(),
                rendered.tokenEvaluations(), completed.flopsSavedFraction());
        long overheadNanos = publishTerminal(completed, jobId, pickupNanos, renderNanos);
        topics.forget(jobId);
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
            String bucket, String device, LatentGrid grid, Model served, long queueWaitMs, long pickupNanos,
            int ATTEMPT) {
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
        putWithRetries(bucket, imageKey, image, contentType);
        JobEvent.Timings imageTimings = new JobEvent.Timings(queueWaitMs, t.textEncodeMs(), t.denoiseMs(), t.decodeMs(),
                encodeMs, (System.nanoTime() - u0) / 1_000_000, queueWaitMs + (System.nanoTime() - pickupNanos) / 1_000_000);
        Sidecar sidecar = new Sidecar(Sidecar.VERSION, jobId, bucket, imageKey, contentType, image.length, sha256,
                request.width(), request.height(), seed, request.model(), acceleration, rendered.sampler(),
                rendered.steps(), rendered.tokenEvaluations(), perStage, flopsSaved, imageTimings, identity.id(), device,
                ATTEMPT, Instant.now(), request);
        putWithRetries(bucket, sidecarKey, JobJson.toJson(sidecar).getBytes(StandardCharsets.UTF_8), "application/json");
        String presignedUrl = null;
        Instant presignedExpiresAt = null;
        Duration expiry = config.storage().presignExpiry();
        if (!expiry.isZero()) {
            presignedExpiresAt = Instant.now().plus(expiry);
            presignedUrl = store.presignedGetUrl(bucket, imageKey, expiry);
        }
        return completedEvent(jobId, identity.id(), ATTEMPT, device, bucket, imageKey, sidecarKey, contentType,
                image.length, sha256, request, seed, acceleration, rendered.steps(), t, queueWaitMs, encodeMs, u0,
                pickupNanos, rendered.tokenEvaluations(), perStage, flopsSaved, presignedUrl, presignedExpiresAt);
    }

    private JobEvent.Completed completedEvent(String jobId, String workerId, int attempt, String device, String bucket,
            String imageKey, String sidecarKey, String contentType, long bytes, String sha256, JobRequest request,
            long seed, Acceleration acceleration, int steps, RenderResult.Timings t, long queueWaitMs, long encodeMs,
            long u0, long pickupNanos, long tokenEvaluations, List<Long> perStage, double flopsSaved,
            String presignedUrl, Instant presignedExpiresAt) {
        long uploadMs = (System.nanoTime() - u0) / 1_000_000;
        JobEvent.Timings timings = new JobEvent.Timings(queueWaitMs, t.textEncodeMs(), t.denoiseMs(), t.decodeMs(),
                encodeMs, uploadMs, queueWaitMs + (System.nanoTime() - pickupNanos) / 1_000_000);
        return new JobEvent.Completed(JobEvent.VERSION, jobId, workerId, attempt, Instant.now(), device, bucket,
                imageKey, sidecarKey, contentType, bytes, sha256, request.width(), request.height(), seed,
                request.model(), acceleration, steps, timings, tokenEvaluations, perStage,
                flopsSaved, request.labels(), presignedUrl, presignedExpiresAt);
    }

    /**
     * One PUT with bounded retries and backoff (the encoded bytes stay in memory meanwhile); the last
     * failure propagates and the job goes to the retry topic.
     */
    private void putWithRetries(String bucket, String key, byte[] bytes, String contentType) {
        int attempts = Math.max(1, config.reliability().uploadAttempts());
        long pause = Math.max(1, config.reliability().uploadBackoff().toMillis());
        for (int i = 1; ; i++) {
            try {
                store.put(bucket, key, bytes, contentType);
                return;
            } catch (StorageException e) {
                if (i >= attempts) {
                    throw new StorageException("upload failed " + attempts + " times: " + e.getMessage(), e);
                }
                LOG.warnf("upload of s3://%s/%s failed (attempt %d of %d), retrying in %d ms: %s", bucket, key, i,
                        attempts, pause, e.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(8_000, pause * 2);
            }
        }
    }

    /** The completed event of an earlier render of this jobId, rebuilt from its sidecar, when image and sidecar exist. */
    private Optional<JobEvent.Completed> previouslyCompleted(JobRequest request, String bucket) {
        String sidecarKey = ObjectKeys.sidecarKey(request);
        try {
            Optional<byte[]> bytes = store.get(bucket, sidecarKey);
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            JsonNode s = JSON.readTree(bytes.get());
            String imageKey = s.path("key").asText();
            var image = store.stat(bucket, imageKey);
            if (image.isEmpty() || image.get().bytes() != s.path("bytes").asLong(-1)) {
                return Optional.empty();
            }
            JobEvent.Timings timings = JSON.treeToValue(s.path("timings"), JobEvent.Timings.class);
            List<Long> perStage = new ArrayList<>();
            s.path("tokenEvaluationsPerStage").forEach(n -> perStage.add(n.asLong()));
            String presignedUrl = null;
            Instant presignedExpiresAt = null;
            Duration expiry = config.storage().presignExpiry();
            if (!expiry.isZero()) {
                presignedExpiresAt = Instant.now().plus(expiry);
                presignedUrl = store.presignedGetUrl(bucket, imageKey, expiry);
            }
            return Optional.of(new JobEvent.Completed(JobEvent.VERSION, request.jobId(), s.path("workerId").asText(),
                    s.path("attempt").asInt(1), Instant.now(), s.path("device").asText(), bucket, imageKey, sidecarKey,
                    s.path("contentType").asText(), s.path("bytes").asLong(), s.path("sha256").asText(),
                    s.path("width").asInt(), s.path("height").asInt(), s.path("seed").asLong(),
                    Model.parse(s.path("model").asText()).orElse(request.model()),
                    Acceleration.parse(s.path("acceleration").asText()).orElseThrow(), s.path("steps").asInt(),
                    timings, s.path("tokenEvaluations").asLong(), perStage, s.path("flopsSavedFraction").asDouble(),
                    request.labels(), presignedUrl, presignedExpiresAt));
        } catch (Exception e) {
            LOG.warnf("job %s: cannot check for an earlier result (%s); rendering", request.jobId(), e.toString());
            return Optional.empty();
        }
    }

    /** Test-only engine faults, active only with fluxfleet.reliability.test-hooks=true (docs/reliability.md). */
    private void testHookAtStart(JobRequest request) {
        if (config.reliability().testHooks() && request.prompt().contains("[[test:halt]]")) {
            LOG.errorf("job %s: test hook [[test:halt]]: halting the JVM mid-render", request.jobId());
            Runtime.getRuntime().halt(137);
        }
    }

    private void testHookAtStep(JobRequest request, int step) {
        if (!config.reliability().testHooks()) {
            return;
        }
        String p = request.prompt();
        if (p.contains("[[test:slow]]")) {
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (p.contains("[[test:oom]]")) {
            throw new IllegalStateException("CUDA error: out of memory (test hook)");
        }
        if (p.contains("[[test:device-error]]")) {
            throw new IllegalStateException("CUDA error: an illegal memory access was encountered (test hook)");
        }
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

    /** A permanent failure: dead-lettered with every attempt's error, a terminal failed event. */
    private Outcome fail(Ctx ctx, JobRequest request, ErrorCode code, String message, long pickupNanos,
            long renderNanos) {
        Instant now = Instant.now();
        List<JobEvent.AttemptError> errors = new ArrayList<>(ctx.attempt().errors());
        errors.add(new JobEvent.AttemptError(ctx.n(), code, message, now, identity.id()));
        JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, request.jobId(), identity.id(), ctx.n(), now,
                code, message, false, errors, List.of(), request.labels());
        LOG.infof("job %s failed: %s %s", request.jobId(), code, message);
        deadLetter(ctx, request.jobId(), failed);
        topics.forget(request.jobId());
        return terminal(failed, request.jobId(), pickupNanos, renderNanos);
    }

    /**
     * A transient failure: to the retry topic with backoff (failed event with retryable=true), or, on
     * the last allowed attempt, to the DLQ with RETRIES_EXHAUSTED.
     */
    private Outcome retryLater(Ctx ctx, JobRequest request, ErrorCode code, String message, long pickupNanos,
            long renderNanos) {
        Instant now = Instant.now();
        List<JobEvent.AttemptError> errors = new ArrayList<>(ctx.attempt().errors());
        errors.add(new JobEvent.AttemptError(ctx.n(), code, message, now, identity.id()));
        Instant first = ctx.attempt().firstFailure() != null ? ctx.attempt().firstFailure() : now;
        int max = Math.max(1, config.reliability().maxAttempts());
        if (ctx.n() >= max) {
            String why = "gave up after " + ctx.n() + " attempts; last: " + code + " " + message;
            JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, request.jobId(), identity.id(), ctx.n(), now,
                    ErrorCode.RETRIES_EXHAUSTED, why, false, errors, List.of(), request.labels());
            LOG.infof("job %s: %s", request.jobId(), why);
            deadLetter(ctx, request.jobId(), failed);
            topics.forget(request.jobId());
            return terminal(failed, request.jobId(), pickupNanos, renderNanos);
        }
        long backoff = config.reliability().backoff().toMillis() << Math.min(20, ctx.n() - 1);
        backoff = Math.min(backoff, config.reliability().maxBackoff().toMillis());
        Instant notBefore = now.plusMillis(backoff);
        JobEvent.Failed failed = new JobEvent.Failed(JobEvent.VERSION, request.jobId(), identity.id(), ctx.n(), now,
                code, message + " (attempt " + ctx.n() + " of " + max + "; retrying after " + notBefore + ")", true,
                errors, List.of(), request.labels());
        topics.sendRetry(request.jobId(), ctx.value(), ctx.n() + 1, first, notBefore, JobJson.toJson(errors));
        LOG.infof("job %s: %s %s; attempt %d goes to the retry topic, not before %s", request.jobId(), code, message,
                ctx.n() + 1, notBefore);
        publishTerminal(failed, request.jobId(), pickupNanos, renderNanos);
        return Outcome.RETRYING;
    }

    private void deadLetter(Ctx ctx, String key, JobEvent.Failed failed) {
        Instant first = ctx.attempt().firstFailure() != null ? ctx.attempt().firstFailure() : failed.timestamp();
        topics.sendDlq(key, JobJson.writeEvent(failed), ctx.value(), ctx.n(), first, failed.code().name(),
                failed.message(),
                JobJson.toJson(failed.errors()));
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
            metrics.job(failed.retryable() ? "retrying" : "failed", failed.code().name());
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

        private final int attempt;

        ProgressReporter(JobRequest request, long plannedEvaluations, int attempt) {
            this.request = request;
            this.attempt = attempt;
            this.every = Math.max(1, config.progress().everySteps());
            this.plannedEvaluations = plannedEvaluations;
        }

        @Override
        public void onStep(int step, int totalSteps, float sigma, long tokenEvaluations) {
            Instant now = Instant.now();
            if (topics.isCancelled(request.jobId())) {
                throw new CancellationException(CANCELLED_MESSAGE + " at step " + step + " of " + totalSteps);
            }
            testHookAtStep(request, step);
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
            events.publishAndForget(new JobEvent.Progress(JobEvent.VERSION, request.jobId(), identity.id(), attempt,
                    now, step, totalSteps, Math.round(fraction * 1e4) / 1e4, s, Math.max(0, tokenEvaluations),
                    elapsed / 1_000_000), request.jobId());
        }
    }

    /** The validator with the configured limits. */
    public JobValidator validator() {
        return validator;
    }
}
