package io.fluxfleet.worker;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.ValidationResult;

/**
 * Why a job did not complete, thrown by a step and turned into events by the outcome step:
 * permanent (dead-lettered), transient (retry topic), or a rejected request (never valid).
 */
public final class JobFailure extends RuntimeException {

    private final ErrorCode code;
    private final boolean retryable;
    private final transient ValidationResult.Invalid invalid;

    private JobFailure(ErrorCode code, String message, boolean retryable, ValidationResult.Invalid invalid) {
        super(message, null, false, false);
        this.code = code;
        this.retryable = retryable;
        this.invalid = invalid;
    }

    /** Will never succeed: dead-lettered at once. */
    public static JobFailure permanent(ErrorCode code, String message) {
        return new JobFailure(code, message, false, null);
    }

    /** May succeed later: retried with backoff up to the attempt limit. */
    public static JobFailure transientFailure(ErrorCode code, String message) {
        return new JobFailure(code, message, true, null);
    }

    /** The request failed validation. */
    public static JobFailure rejected(ValidationResult.Invalid invalid) {
        return new JobFailure(invalid.primary().code(), invalid.summary(), false, invalid);
    }

    public ErrorCode code() {
        return code;
    }

    public boolean retryable() {
        return retryable;
    }

    /** The validation result when the request was rejected, else null. */
    public ValidationResult.Invalid invalid() {
        return invalid;
    }
}
