package io.fluxfleet.gateway;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jboss.logging.Logger;

/**
 * Where a resumed SSE stream starts: the ids of the events the client already has, up to and including the
 * one {@code Last-Event-ID} names.
 *
 * <p>A job's events sit on one partition, so the job-state view and the live feed both hold them in topic
 * order. Right after a gateway restart the view is still being rebuilt and may not reach the named event yet,
 * while the feed (the last few minutes) may; or neither has read that far yet. An event named by the client
 * but missing from the view lies after everything the view holds, so the view's events were all seen too.
 */
final class ResumePoint {

    private static final Logger LOG = Logger.getLogger(ResumePoint.class);
    private static final long POLL_MS = 100;

    private ResumePoint() {
    }

    /** What the client has seen, from one look at the view and the feed; empty when neither knows the id. */
    static Optional<Set<String>> seen(JobState state, List<LiveEvent> recent, String lastEventId) {
        Set<String> seen = new HashSet<>();
        for (JobState.EventEntry e : state.events()) {
            seen.add(e.id());
            if (e.id().equals(lastEventId)) {
                return Optional.of(seen);
            }
        }
        for (LiveEvent e : recent) {
            seen.add(e.id());
            if (e.id().equals(lastEventId)) {
                return Optional.of(seen);
            }
        }
        return Optional.empty();
    }

    /**
     * Waits up to {@code wait} for the view or the feed to learn {@code lastEventId}. If neither does, the id is
     * one this job never had and the whole history is sent (an empty set), as for a first connection.
     */
    static Set<String> await(Supplier<JobState> state, Supplier<List<LiveEvent>> recent, String lastEventId,
            Duration wait) {
        if (lastEventId == null) {
            return Set.of();
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Optional<Set<String>> seen = seen(state.get(), recent.get(), lastEventId);
            if (seen.isPresent()) {
                return seen.get();
            }
            if (System.nanoTime() - deadline >= 0) {
                LOG.debugf("Last-Event-ID %s is not an event of this job; sending its whole history", lastEventId);
                return Set.of();
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Set.of();
            }
        }
    }
}
