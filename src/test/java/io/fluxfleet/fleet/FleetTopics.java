package io.fluxfleet.fleet;

import java.util.List;

/** The fleet's topic names and consumer groups in the production-like suite (own names, own cluster). */
record FleetTopics(String jobs, String events, String retry, String dlq, String control, String attempts,
                   String jobsGroup, String retryGroup) {

    static FleetTopics production() {
        return new FleetTopics("pf.jobs", "pf.events", "pf.jobs.retry", "pf.jobs.dlq", "pf.control", "pf.attempts",
                "pf-workers", "pf-workers-retry");
    }

    List<String> all() {
        return List.of(jobs, events, retry, dlq, control, attempts);
    }
}
