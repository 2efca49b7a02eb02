package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A job request, version 1, as the validator returns it: defaults applied and values normalised.
 * Untrusted bytes become a JobRequest only through {@link JobValidator}; the constructor checks only
 * structural invariants, the configurable limits are the validator's job.
 *
 * <p>Components annotated {@code @JsonInclude(NON_NULL)} are optional: null means "not given"
 * (guidance for a schnell-kind model, a worker-chosen seed, the fleet's default acceleration, the fleet's
 * default bucket) and is left out of the JSON.
 *
 * @param version     contract version, always {@link #VERSION}; optional on the wire
 * @param jobId       client-chosen idempotency key, Kafka key and part of the object key
 * @param prompt      the text prompt, never blank
 * @param steps       model calls for acceleration none (and custom presets that read it); the
 *                    JiT/RALU presets fix their own schedule
 * @param seed        null: the worker picks one and reports it in the completed event
 * @param model       the model's name: dev, schnell or a fleet catalog's model ({@link KnownModels})
 * @param acceleration null: the fleet's configured default ({@link Acceleration#FLEET_DEFAULT})
 * @param custom      preset parameters, present exactly when acceleration is custom; validated by the sampler
 * @param priority    0 (lowest) to 9 (highest)
 * @param labels      free-form, echoed in completed and failed events; never null
 * @param maxSequenceLength T5 tokens, 256 or 512; null: the model's default (dev 512, schnell 256)
 * @param trace       true: store the sampler trace (trace.json, trace.safetensors, trace.png) beside the
 *                    image; false is normalised to null (not given)
 * @param loras       LoRA adapters applied to this job only, in order; empty when none (left out of the JSON)
 */
public record JobRequest(
        int version,
        String jobId,
        String prompt,
        int width,
        int height,
        int steps,
        @JsonInclude(JsonInclude.Include.NON_NULL) Double guidance,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long seed,
        String model,
        @JsonInclude(JsonInclude.Include.NON_NULL) Acceleration acceleration,
        @JsonInclude(JsonInclude.Include.NON_NULL) JsonNode custom,
        Output output,
        int priority,
        @JsonInclude(JsonInclude.Include.NON_NULL) String tenant,
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant deadline,
        Map<String, String> labels,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer maxSequenceLength,
        @JsonInclude(JsonInclude.Include.NON_NULL) Boolean trace,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Lora> loras) {

    public static final int VERSION = 1;
    public static final int DEFAULT_WIDTH = 1024;
    public static final int DEFAULT_HEIGHT = 1024;
    public static final double DEFAULT_GUIDANCE = 3.5;
    public static final int DEFAULT_PRIORITY = 5;
    public static final int MIN_PRIORITY = 0;
    public static final int MAX_PRIORITY = 9;
    /** The T5 lengths a job may ask for: the JiT and RALU reference code's 256, diffusers' dev default 512. */
    public static final java.util.List<Integer> SEQUENCE_LENGTHS = java.util.List.of(256, 512);

    public JobRequest {
        if (version != VERSION) {
            throw new IllegalArgumentException("unsupported job request version " + version);
        }
        if (!SafeNames.isValidJobId(jobId)) {
            throw new IllegalArgumentException("invalid jobId: " + jobId);
        }
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt is required");
        }
        if (width < JobValidator.MIN_SIDE || height < JobValidator.MIN_SIDE || steps < 1) {
            throw new IllegalArgumentException("width, height and steps must be set");
        }
        if (priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
            throw new IllegalArgumentException("priority must be 0-9");
        }
        if (!KnownModels.isValidName(model)) {
            throw new IllegalArgumentException("model must be " + KnownModels.NAME_RULE + ": " + model);
        }
        Objects.requireNonNull(output, "output");
        // JsonNode is mutable; a copy keeps the record a value.
        custom = custom == null ? null : custom.deepCopy();
        labels = Collections2.sortedCopy(labels);
        loras = loras == null ? List.of() : List.copyOf(loras);
        if (maxSequenceLength != null && !SEQUENCE_LENGTHS.contains(maxSequenceLength)) {
            throw new IllegalArgumentException("maxSequenceLength must be 256 or 512");
        }
        trace = Boolean.TRUE.equals(trace) ? Boolean.TRUE : null;
    }

    /** Whether the job asked for its sampler trace. */
    public boolean wantsTrace() {
        return Boolean.TRUE.equals(trace);
    }

    /** Without a text length, trace or adapters (the model's default length, no trace, no LoRA). */
    public JobRequest(int version, String jobId, String prompt, int width, int height, int steps, Double guidance,
            Long seed, String model, Acceleration acceleration, JsonNode custom, Output output, int priority,
            String tenant, Instant deadline, Map<String, String> labels) {
        this(version, jobId, prompt, width, height, steps, guidance, seed, model, acceleration, custom, output,
                priority, tenant, deadline, labels, null, null, List.of());
    }

    /** The preset this job runs with, given the fleet's configured default. */
    public Acceleration effectiveAcceleration(Acceleration fleetDefault) {
        return acceleration != null ? acceleration : fleetDefault;
    }

    /** True once the deadline (if any) has passed; the worker then fails the job with EXPIRED. */
    public boolean isExpiredAt(Instant now) {
        return deadline != null && !now.isBefore(deadline);
    }

    /**
     * One LoRA adapter for this job.
     *
     * @param source a name in the fleet's adapter library ({@code styles/watercolor}) or an
     *               {@code s3://bucket/key.safetensors} URI in a bucket the fleet allows
     * @param scale  multiplier of the adapter's change; 0 renders the base model
     */
    public record Lora(String source, double scale) {

        public static final double DEFAULT_SCALE = 1.0;

        public Lora {
            Objects.requireNonNull(source, "source");
        }
    }

    /**
     * Where the image goes.
     *
     * @param bucket    null: the fleet's configured bucket
     * @param keyPrefix normalised (no trailing "/"), {@link ObjectKeys#DEFAULT_PREFIX} when not given
     */
    public record Output(
            @JsonInclude(JsonInclude.Include.NON_NULL) String bucket,
            String keyPrefix,
            OutputFormat format) {

        public static final Output DEFAULT = new Output(null, ObjectKeys.DEFAULT_PREFIX, OutputFormat.PNG);

        public Output {
            Objects.requireNonNull(keyPrefix, "keyPrefix");
            Objects.requireNonNull(format, "format");
        }
    }
}
