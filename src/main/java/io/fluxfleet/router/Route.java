package io.fluxfleet.router;

import io.fluxfleet.worker.JobFailure;

/** Where one job record goes: forwarded to a pool's lane, or rejected at routing. */
sealed interface Route {

    /** The record goes unchanged to {@code topic}, keyed by its jobId. */
    record Forward(String jobId, String topic) implements Route {
    }

    /** The record is dead-lettered with a failed event, like a rejection at a worker's intake. */
    record Reject(JobFailure failure) implements Route {
    }
}
