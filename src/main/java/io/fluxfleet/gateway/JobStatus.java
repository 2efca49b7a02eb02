package io.fluxfleet.gateway;

import com.fasterxml.jackson.annotation.JsonValue;

/** Where a job stands, as GET /v1/jobs/{id} reports it. */
public enum JobStatus {
    /** Accepted (on the jobs topic), or waiting for another attempt after a retryable failure. */
    QUEUED,
    /** A worker took it. */
    STARTED,
    /** Denoising; progress is reported. */
    RENDERING,
    COMPLETED,
    /** Failed for good (dead-lettered): validation, cancel, expiry, retries exhausted, crash loop. */
    FAILED;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    public boolean terminal() {
        return this == COMPLETED || this == FAILED;
    }

    public static JobStatus parse(String text) {
        for (JobStatus s : values()) {
            if (s.wireName().equalsIgnoreCase(text)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown state '" + text + "'; use queued, started, rendering, completed or failed");
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    static JobStatus fromJson(String text) {
        return parse(text);
    }
}
