package io.fluxfleet.worker;

/** Kafka headers of the retry, dead-letter and replayed job records (docs/reliability.md). */
public final class RecordHeaders {

    public static final String H_ATTEMPT = "fluxfleet-attempt";
    public static final String H_FIRST_FAILURE = "fluxfleet-first-failure";
    public static final String H_NOT_BEFORE = "fluxfleet-not-before";
    public static final String H_ERRORS = "fluxfleet-errors";
    public static final String H_REASON = "fluxfleet-reason";
    public static final String H_MESSAGE = "fluxfleet-reason-message";
    public static final String H_WORKER = "fluxfleet-worker";
    /**
     * On DLQ records: the request bytes as they came, cut to {@code BoundedHeaders.REQUEST_COPY_BYTES} so that a
     * near-1 MiB request cannot push the record over the producer's or the broker's limit (the value is the
     * terminal failed event; a retry record's value is the request, intact).
     */
    public static final String H_REQUEST = "fluxfleet-request";
    /** On DLQ records: the size of the original request; when it exceeds the copy's bound the copy is cut. */
    public static final String H_REQUEST_BYTES = "fluxfleet-request-bytes";
    /** On DLQ records: "true" when {@link #H_REQUEST} holds only the first bytes of the request. */
    public static final String H_REQUEST_TRUNCATED = "fluxfleet-request-truncated";

    /**
     * On a job record the operator console replayed from the dead letters: when (ISO-8601). Its first start
     * begins a new attempt history: earlier crashes of the job no longer count (AttemptMarkers#startReplay).
     */
    public static final String H_REPLAYED_AT = "fluxfleet-replayed-at";
    /** On a job record the operator console replayed: who. */
    public static final String H_REPLAYED_BY = "fluxfleet-replayed-by";

    private RecordHeaders() {
    }
}
