package io.fluxfleet.job;

import java.time.Instant;
import java.util.Objects;

/** Shared checks of the event envelope. */
final class Envelope {

    private Envelope() {
    }

    static void check(int version, String jobId, String workerId, int attempt, Instant timestamp) {
        if (version != JobEvent.VERSION) {
            throw new IllegalArgumentException("unsupported event version " + version);
        }
        Objects.requireNonNull(jobId, "jobId");
        if (workerId == null || workerId.isEmpty()) {
            throw new IllegalArgumentException("workerId is required");
        }
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt must be at least 1");
        }
        Objects.requireNonNull(timestamp, "timestamp");
    }

    static void nonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative: " + value);
        }
    }
}
