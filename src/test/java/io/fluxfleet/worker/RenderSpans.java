package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.JobEvent;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** When each worker rendered a job, read from the job's events: the fleet tests' "never on two workers at once". */
final class RenderSpans {

    private RenderSpans() {
    }

    /** Renders of one job per worker: [started, that worker's last event of the job]; none may overlap. */
    static void assertNoConcurrentRenders(String jobId, List<JobEvent> events) {
        record Render(String worker, Instant from, Instant to) {
        }
        Map<String, Render> open = new HashMap<>();
        List<Render> renders = new ArrayList<>();
        for (JobEvent e : events) {
            String key = e.workerId() + "/" + e.attempt();
            if (e instanceof JobEvent.Started) {
                open.put(key, new Render(e.workerId(), e.timestamp(), e.timestamp()));
            } else if (open.containsKey(key)) {
                Render r = open.get(key);
                open.put(key, new Render(r.worker(), r.from(), e.timestamp().isAfter(r.to()) ? e.timestamp() : r.to()));
            }
        }
        renders.addAll(open.values());
        for (Render a : renders) {
            for (Render b : renders) {
                if (a != b && !a.worker().equals(b.worker())) {
                    assertTrue(!a.from().isBefore(b.to()) || !b.from().isBefore(a.to()),
                            jobId + " rendered on two workers at once: " + a + " and " + b);
                }
            }
        }
    }
}
