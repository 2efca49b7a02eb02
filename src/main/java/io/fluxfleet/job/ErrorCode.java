package io.fluxfleet.job;

/**
 * Machine-readable failure codes, carried by {@link ValidationError} and {@link JobEvent.Failed}.
 * The wire form is the constant's name. Validation codes are permanent: the same bytes fail the
 * same way on every worker, so they never retry.
 */
public enum ErrorCode {
    // Request validation (permanent, never reach a GPU)
    INVALID_JSON(true, false, "The value is not JSON, not a JSON object, empty, or has duplicate keys."),
    REQUEST_TOO_LARGE(true, false, "The value is larger than the request byte limit (64 KiB by default)."),
    MISSING_FIELD(true, false, "A required field is absent, null or blank (jobId, prompt; custom when acceleration is custom)."),
    UNKNOWN_FIELD(true, false, "A field name the contract does not define (catches typos such as \"stpes\")."),
    INVALID_JOB_ID(true, false, "jobId is not 1-128 characters of A-Z a-z 0-9 . _ : -"),
    PROMPT_TOO_LONG(true, false, "The prompt has more characters (code points) than the limit (2000 by default)."),
    INVALID_SIZE(true, false, "width or height is not a multiple of 16, below 64 or above the side limit (4096 by default)."),
    TOO_MANY_PIXELS(true, false, "width x height is above the pixel limit (2,097,152 by default)."),
    TOO_MANY_STEPS(true, false, "steps is above the step limit (100 by default)."),
    UNKNOWN_MODEL(true, false, "model names no model of the fleet: not dev or schnell, or not in the fleet's model catalog."),
    UNKNOWN_ACCELERATION(true, false, "acceleration is not one of the presets."),
    INVALID_GUIDANCE(true, false, "guidance is outside 0-20, or given for a model of kind schnell, which takes none."),
    INVALID_OUTPUT(true, false, "output bucket, keyPrefix or format is unsafe, malformed or not allowed."),
    INVALID_DEADLINE(true, false, "deadline is not an ISO-8601 instant with a zone or offset."),
    INVALID_FIELD(true, false, "A value of the wrong JSON type, or out of range for a field without its own code."),
    INVALID_PRESET(true, false, "A custom preset value is out of range or numerically unusable (e.g. a Beta schedule that degenerates)."),
    UNKNOWN_TENANT(true, false, "The job names no tenant (and the fleet has no default tenant) or one the fleet does not know."),
    NOT_ALLOWED_FOR_TENANT(true, false, "The tenant may not use the job's model or acceleration preset."),

    // Worker-side outcomes
    EXPIRED(false, false, "The deadline passed before the job finished."),
    CANCELLED(false, false, "A cancel request for the jobId stopped the job."),
    RENDER_FAILED(false, true, "Rendering failed (GPU out of memory, engine error, timeout)."),
    STORAGE_FAILED(false, true, "Uploading the image or its sidecar failed."),
    STORAGE_REJECTED(false, false, "The object store refused the upload for good (no such bucket, access denied, unknown key); retrying cannot help."),
    RETRIES_EXHAUSTED(false, false, "A retryable failure happened on every allowed attempt."),
    JOB_ID_CONFLICT(false, false, "Objects for this jobId exist with another tenant or another request; nothing was overwritten."),
    CRASH_LOOP(false, false, "Workers died while rendering this job too many times; it is dead-lettered so it cannot kill the fleet."),
    LORA_NOT_FOUND(false, false, "A LoRA source names no adapter in the library or bucket (or the fleet has no adapter library)."),
    LORA_INCOMPATIBLE(false, false, "A LoRA file is not a FLUX.1 transformer adapter for this model: not safetensors, unknown keys, wrong shapes, text-encoder layers, or a checksum mismatch."),
    LORA_TOO_LARGE(false, false, "A LoRA file is over the adapter size limit (1 GiB by default) or does not fit the device adapter cache.");

    private final boolean validation;
    private final boolean retryableByDefault;
    private final String description;

    ErrorCode(boolean validation, boolean retryableByDefault, String description) {
        this.validation = validation;
        this.retryableByDefault = retryableByDefault;
        this.description = description;
    }

    /** True for codes the request validator produces. */
    public boolean isValidation() {
        return validation;
    }

    /** Whether a failure with this code is worth another attempt unless the worker knows better. */
    public boolean isRetryableByDefault() {
        return retryableByDefault;
    }

    public String description() {
        return description;
    }
}
