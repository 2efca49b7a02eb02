package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Lifecycle events, version 1, published on the events topic keyed by jobId. Each is the data of a
 * CloudEvent whose type is the {@code type} property written into the JSON too (so a record read
 * without its headers, e.g. from the DLQ, still says what it is); the worker sets the CloudEvents
 * source to {@link #source(String)}.
 *
 * <p>Every event carries the envelope: type, version, jobId, workerId, attempt, timestamp. No field
 * is ever null except those annotated {@code @JsonInclude(ALWAYS)}, which are always written and may
 * be null: {@code Failed.jobId}, {@code Completed.presignedUrl}, {@code Completed.presignedUrlExpiresAt}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = JobEvent.Started.class, name = JobEvent.STARTED),
        @JsonSubTypes.Type(value = JobEvent.Progress.class, name = JobEvent.PROGRESS),
        @JsonSubTypes.Type(value = JobEvent.Completed.class, name = JobEvent.COMPLETED),
        @JsonSubTypes.Type(value = JobEvent.Failed.class, name = JobEvent.FAILED)
})
public sealed interface JobEvent {

    int VERSION = 1;

    String STARTED = "io.fluxfleet.job.started";
    String PROGRESS = "io.fluxfleet.job.progress";
    String COMPLETED = "io.fluxfleet.job.completed";
    String FAILED = "io.fluxfleet.job.failed";

    String SOURCE_PREFIX = "/fluxfleet/worker/";

    /** The CloudEvents source of events published by this worker. */
    static String source(String workerId) {
        return SOURCE_PREFIX + workerId;
    }

    int version();

    /** Null only in a failed event for a request whose jobId could not be read. */
    String jobId();

    String workerId();

    /** 1 for the first delivery, counted across retries and crashes. */
    int attempt();

    Instant timestamp();

    /** The CloudEvents type, also written as the {@code type} property. */
    @JsonIgnore
    String cloudEventType();

    /** The worker took the job and is about to render it. */
    record Started(
            int version,
            String jobId,
            String workerId,
            int attempt,
            Instant timestamp,
            String device,
            long queueWaitMs) implements JobEvent {

        public Started {
            Envelope.check(version, jobId, workerId, attempt, timestamp);
            Objects.requireNonNull(device, "device");
            Envelope.nonNegative(queueWaitMs, "queueWaitMs");
        }

        @Override
        public String cloudEventType() {
            return STARTED;
        }
    }

    /**
     * After a denoising step.
     *
     * @param step             model calls done so far, 1..totalSteps
     * @param fraction         share of the job's work done, 0..1
     * @param sigma            noise level reached
     * @param tokenEvaluations image tokens sent through the transformer so far
     */
    record Progress(
            int version,
            String jobId,
            String workerId,
            int attempt,
            Instant timestamp,
            int step,
            int totalSteps,
            double fraction,
            double sigma,
            long tokenEvaluations,
            long elapsedMs) implements JobEvent {

        public Progress {
            Envelope.check(version, jobId, workerId, attempt, timestamp);
            if (totalSteps < 1 || step < 0 || step > totalSteps) {
                throw new IllegalArgumentException("step " + step + " of " + totalSteps);
            }
            if (!(fraction >= 0.0 && fraction <= 1.0)) {
                throw new IllegalArgumentException("fraction must be within 0..1: " + fraction);
            }
            if (!(sigma >= 0.0) || !Double.isFinite(sigma)) {
                throw new IllegalArgumentException("sigma must be finite and non-negative: " + sigma);
            }
            Envelope.nonNegative(tokenEvaluations, "tokenEvaluations");
            Envelope.nonNegative(elapsedMs, "elapsedMs");
        }

        @Override
        public String cloudEventType() {
            return PROGRESS;
        }
    }

    /**
     * The image and its sidecar are in storage.
     *
     * @param model                    the model's name, as the job named it (dev, schnell or a catalog model)
     * @param modelKind                the FLUX.1 variant that model is; null in events from before model catalogs
     * @param steps                    model calls made
     * @param tokenEvaluations         image tokens sent through the transformer, all steps together
     * @param tokenEvaluationsPerStage the same per sampler stage (one entry for acceleration none)
     * @param flopsSavedFraction       1 - FLOPs / FLOPs of 50 full steps at this size; 0 for the
     *                                 full sampler, negative if the job ran more than 50 full steps
     * @param presignedUrl             a GET URL for the image, or null when the fleet does not presign
     * @param presignedUrlExpiresAt    when it stops working; null exactly when presignedUrl is null
     * @param loras                    the LoRA adapters applied, in order, with the sha256 of each file; empty when none
     */
    record Completed(
            int version,
            String jobId,
            String workerId,
            int attempt,
            Instant timestamp,
            String device,
            String bucket,
            String key,
            String sidecarKey,
            String contentType,
            long bytes,
            String sha256,
            int width,
            int height,
            long seed,
            String model,
            @JsonInclude(JsonInclude.Include.NON_NULL) ModelKind modelKind,
            Acceleration acceleration,
            int steps,
            Timings timings,
            long tokenEvaluations,
            List<Long> tokenEvaluationsPerStage,
            double flopsSavedFraction,
            Map<String, String> labels,
            @JsonInclude(JsonInclude.Include.ALWAYS) String presignedUrl,
            @JsonInclude(JsonInclude.Include.ALWAYS) Instant presignedUrlExpiresAt,
            List<LoraUse> loras) implements JobEvent {

        private static final Pattern SHA256_HEX = Pattern.compile("^[0-9a-f]{64}$");

        public Completed {
            Envelope.check(version, jobId, workerId, attempt, timestamp);
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(bucket, "bucket");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(sidecarKey, "sidecarKey");
            if (OutputFormat.forContentType(contentType).isEmpty()) {
                throw new IllegalArgumentException("unknown contentType " + contentType);
            }
            Envelope.nonNegative(bytes, "bytes");
            if (sha256 == null || !SHA256_HEX.matcher(sha256).matches()) {
                throw new IllegalArgumentException("sha256 must be 64 lower-case hex digits");
            }
            if (width < JobValidator.MIN_SIDE || height < JobValidator.MIN_SIDE || steps < 1 || seed < 0) {
                throw new IllegalArgumentException("width, height, steps and seed must be set");
            }
            if (!KnownModels.isValidName(model)) {
                throw new IllegalArgumentException("model must be a model name: " + model);
            }
            Objects.requireNonNull(acceleration, "acceleration");
            Objects.requireNonNull(timings, "timings");
            Envelope.nonNegative(tokenEvaluations, "tokenEvaluations");
            tokenEvaluationsPerStage = Collections2.copy(tokenEvaluationsPerStage);
            if (!(flopsSavedFraction <= 1.0) || !Double.isFinite(flopsSavedFraction)) {
                throw new IllegalArgumentException("flopsSavedFraction must be finite and at most 1: " + flopsSavedFraction);
            }
            labels = Collections2.sortedCopy(labels);
            if ((presignedUrl == null) != (presignedUrlExpiresAt == null)) {
                throw new IllegalArgumentException("presignedUrl and presignedUrlExpiresAt come together");
            }
            loras = Collections2.copy(loras);
        }

        @Override
        public String cloudEventType() {
            return COMPLETED;
        }
    }

    /**
     * The job ended without an image (terminal), or an attempt failed and will be retried
     * ({@code retryable} true: a later event follows).
     *
     * @param code             the deciding error; the last attempt's code, or RETRIES_EXHAUSTED / CRASH_LOOP
     * @param errors           every attempt's error, oldest first
     * @param validationErrors every validation problem when the request was rejected, else empty
     */
    record Failed(
            int version,
            @JsonInclude(JsonInclude.Include.ALWAYS) String jobId,
            String workerId,
            int attempt,
            Instant timestamp,
            ErrorCode code,
            String message,
            boolean retryable,
            List<AttemptError> errors,
            List<ValidationError> validationErrors,
            Map<String, String> labels) implements JobEvent {

        public Failed {
            Envelope.check(version, jobId == null ? "unknown" : jobId, workerId, attempt, timestamp);
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            errors = Collections2.copy(errors);
            validationErrors = Collections2.copy(validationErrors);
            labels = Collections2.sortedCopy(labels);
        }

        /** The failed event for a request the validator rejected: permanent, never retried. */
        public static Failed rejected(ValidationResult.Invalid invalid, String workerId, int attempt, Instant now) {
            ValidationError primary = invalid.primary();
            String message = invalid.summary();
            return new Failed(VERSION, invalid.jobId(), workerId, attempt, now, primary.code(), message, false,
                    List.of(new AttemptError(attempt, primary.code(), message, now, workerId)),
                    invalid.errors(), invalid.labels());
        }

        @Override
        public String cloudEventType() {
            return FAILED;
        }
    }

    /** Milliseconds spent in each phase of a job. */
    record Timings(
            long queueWaitMs,
            long textEncodeMs,
            long denoiseMs,
            long decodeMs,
            long encodeMs,
            long uploadMs,
            long totalMs) {

        public Timings {
            for (long value : new long[] {queueWaitMs, textEncodeMs, denoiseMs, decodeMs, encodeMs, uploadMs, totalMs}) {
                Envelope.nonNegative(value, "timings");
            }
        }
    }

    /** What went wrong in one attempt. */
    record AttemptError(int attempt, ErrorCode code, String message, Instant timestamp, String workerId) {
        public AttemptError {
            if (attempt < 1) {
                throw new IllegalArgumentException("attempt must be at least 1");
            }
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(timestamp, "timestamp");
            Objects.requireNonNull(workerId, "workerId");
        }
    }
}
