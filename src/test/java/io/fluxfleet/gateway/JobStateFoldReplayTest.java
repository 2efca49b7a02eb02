package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job replayed from the dead letters (the console's job record header) is queued again in the job state. */
class JobStateFoldReplayTest {

    static final Instant T0 = Instant.parse("2026-11-30T08:00:00Z");

    static JsonNode request() {
        return JobStateFold.JSON.createObjectNode().put("jobId", "j1").put("tenant", "acme").put("prompt", "p");
    }

    // Mutation checked: JobStateFold.replayed returning its input unchanged left the job FAILED (expected QUEUED).
    @Test
    void aReplayedFailedJobIsQueuedAgainAndItsNewAttemptShows() {
        JobState queued = JobStateFold.submitted(null, "j1", request(), null, T0);
        JobState failed = JobStateFold.event(queued, "j1", "j1/failed/1", new JobEvent.Failed(JobEvent.VERSION, "j1",
                "w1", 1, T0.plusSeconds(1), ErrorCode.INVALID_SIZE, "width 65", false, List.of(), List.of(), Map.of()));
        assertEquals(JobStatus.FAILED, failed.state());

        JobState replayed = JobStateFold.replayed(JobStateFold.submitted(failed, "j1", request(), null,
                T0.plusSeconds(5)), T0.plusSeconds(5));
        assertEquals(JobStatus.QUEUED, replayed.state());
        assertNull(replayed.failure());
        assertNull(replayed.finishedAt());
        assertEquals(T0, replayed.submittedAt(), "the job keeps its place in the tenant's list");

        JobState started = JobStateFold.event(replayed, "j1", "j1/started/1b",
                new JobEvent.Started(JobEvent.VERSION, "j1", "w1", 1, T0.plusSeconds(6), "cpu", 10));
        assertEquals(JobStatus.STARTED, started.state());
    }

    @Test
    void aReplayHeaderOnAJobThatDidNotFailChangesNothing() {
        JobState queued = JobStateFold.submitted(null, "j1", request(), null, T0);
        assertEquals(queued, JobStateFold.replayed(queued, T0.plusSeconds(1)));
    }
}
