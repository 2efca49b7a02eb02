package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.gateway.JobState;
import io.fluxfleet.job.JobEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** A job's history as the job page shows it: queued, each attempt's start and end, errors, replays. */
final class Timeline {

    /** One line; {@code kind} picks its colour (info, ok, error, retry, replay). */
    record Entry(Instant at, String kind, String title, String detail) {
    }

    private Timeline() {
    }

    static List<Entry> of(JobState s, List<Replays.Replay> replays) {
        List<Entry> entries = new ArrayList<>();
        if (s.submittedAt() != null) {
            entries.add(new Entry(s.submittedAt(), "info", "queued", "on the jobs topic"));
        }
        for (JobState.EventEntry e : s.events()) {
            JsonNode d = e.data();
            String attempt = d == null ? "" : "attempt " + d.path("attempt").asInt(1) + " ";
            String worker = d == null ? "" : " on " + d.path("workerId").asText("?");
            switch (e.type()) {
                case JobEvent.STARTED -> entries.add(new Entry(e.time(), "info", attempt + "started", "worker"
                        + worker + ", device " + d.path("device").asText("?") + ", waited "
                        + Durations.millis(d.path("queueWaitMs").asLong(-1)) + " in the queue"));
                case JobEvent.PROGRESS -> {
                    if (d != null) {
                        entries.add(new Entry(e.time(), "info", attempt + "rendering", "step " + d.path("step").asInt()
                                + " of " + d.path("totalSteps").asInt()));
                    }
                }
                case JobEvent.COMPLETED -> entries.add(new Entry(e.time(), "ok", attempt + "completed",
                        "stored s3://" + d.path("bucket").asText() + "/" + d.path("key").asText() + worker));
                case JobEvent.FAILED -> entries.add(new Entry(e.time(), d.path("retryable").asBoolean() ? "retry" : "error",
                        attempt + "failed: " + d.path("code").asText(), d.path("message").asText()
                        + (d.path("retryable").asBoolean() ? " (will be retried)" : "")));
                default -> entries.add(new Entry(e.time(), "info", e.type(), ""));
            }
        }
        for (Replays.Replay r : replays) {
            entries.add(new Entry(r.at(), "replay", "replayed by " + r.by(), "from the dead-letter topic ("
                    + r.code() + ")" + (r.edited() ? ", with an edited request" : ", request unchanged")
                    + "; attempts start again at 1"));
        }
        entries.sort(Comparator.comparing(Entry::at, Comparator.nullsFirst(Comparator.naturalOrder())));
        return entries;
    }
}
