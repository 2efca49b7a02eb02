package io.fluxfleet.worker;

/**
 * A job this worker gives back untouched (it is stopping, or lost the job's partition): the record
 * stays uncommitted and the next owner of its partition takes it. Not a failure and not a crash:
 * it costs the job no attempt.
 */
public final class HandBack extends RuntimeException {

    public HandBack(String message) {
        super(message, null, false, false);
    }
}
