package io.fluxfleet.worker;

/** Kafka headers of the retry and dead-letter records (docs/reliability.md). */
public final class RecordHeaders {

    public static final String H_ATTEMPT = "fluxfleet-attempt";
    public static final String H_FIRST_FAILURE = "fluxfleet-first-failure";
    public static final String H_NOT_BEFORE = "fluxfleet-not-before";
    public static final String H_ERRORS = "fluxfleet-errors";
    public static final String H_REASON = "fluxfleet-reason";
    public static final String H_MESSAGE = "fluxfleet-reason-message";
    public static final String H_WORKER = "fluxfleet-worker";
    /** On DLQ records: the original request bytes, as they came (the value is the terminal failed event). */
    public static final String H_REQUEST = "fluxfleet-request";

    private RecordHeaders() {
    }
}
