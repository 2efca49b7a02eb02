package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Where a resumed SSE stream starts when the job-state view and the live feed disagree, as right after a
 * gateway restart (the view rebuilds from the topic while the feed replays the last minutes).
 *
 * <p>Mutation checked: with {@code seen} ignoring the feed (the view alone, as before), the lagging-view case
 * returned nothing seen and the stream would have repeated started and progress: these tests failed.
 */
class ResumePointTest {

    private static final List<String> TOPIC = List.of("j-queued", "j-started-1", "j-progress-1-1", "j-progress-1-2",
            "j-progress-1-3", "j-completed-1");

    @Test
    void anEventTheViewHoldsMarksItsPrefix() {
        Set<String> seen = ResumePoint.seen(view(4), List.of(), "j-started-1").orElseThrow();
        assertEquals(Set.of("j-queued", "j-started-1"), seen);
    }

    @Test
    void anEventOnlyTheFeedHoldsMarksTheWholeLaggingViewAndTheFeedPrefix() {
        // The view has folded only the first two events; the feed replayed the last four.
        Set<String> seen = ResumePoint.seen(view(2), feed(2, 6), "j-progress-1-2").orElseThrow();
        assertEquals(Set.of("j-queued", "j-started-1", "j-progress-1-1", "j-progress-1-2"), seen);
    }

    @Test
    void anIdNobodyKnowsIsUnknown() {
        assertTrue(ResumePoint.seen(view(6), feed(0, 6), "other-job-completed-1").isEmpty());
    }

    @Test
    void awaitWaitsForTheRebuildingViewToLearnTheId() {
        AtomicInteger looks = new AtomicInteger();
        // Neither knows the id for the first looks, as right after a restart; then the view catches up.
        Set<String> seen = ResumePoint.await(() -> view(Math.min(6, looks.incrementAndGet())), List::of,
                "j-progress-1-3", Duration.ofSeconds(10));
        assertEquals(Set.copyOf(TOPIC.subList(0, 5)), seen);
        assertTrue(looks.get() >= 5, "looked " + looks.get() + " times");
    }

    @Test
    void awaitGivesUpOnAnUnknownIdAndSendsEverything() {
        assertEquals(Set.of(), ResumePoint.await(() -> view(6), () -> feed(0, 6), "nope", Duration.ofMillis(300)));
        assertEquals(Set.of(), ResumePoint.await(() -> view(6), () -> feed(0, 6), null, Duration.ofMillis(300)));
    }

    /** The view after folding the first {@code n} events of the topic. */
    private static JobState view(int n) {
        List<JobState.EventEntry> events = new ArrayList<>();
        for (String id : TOPIC.subList(0, n)) {
            events.add(new JobState.EventEntry(id, "t", Instant.EPOCH, null));
        }
        return new JobState("j", "acme", JobStatus.QUEUED, null, null, null, null, 0, null, null, null, null, null,
                null, events, null);
    }

    private static List<LiveEvent> feed(int from, int to) {
        return TOPIC.subList(from, to).stream().map(id -> new LiveEvent(id, "t", "{}", false)).toList();
    }
}
