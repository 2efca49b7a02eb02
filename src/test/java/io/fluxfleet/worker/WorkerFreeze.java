package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A worker frozen mid-render (SIGSTOP past its session timeout: a long GC pause, a stalled node), and whether
 * its job then moved to a new owner that answered it from the sidecar (the workers' logs say so).
 */
final class WorkerFreeze {

    private WorkerFreeze() {
    }

    /**
     * Waits until a worker starts rendering jobId, then stops its process (SIGSTOP) for {@code freeze} and lets
     * it go on (SIGCONT); returns its worker id.
     */
    static String freezeTheWorkerRendering(List<Process> workers, List<ConsumerRecord<String, byte[]>> events,
            String jobId, Duration freeze, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : events) {
                if (jobId.equals(r.key()) && JobJson.readEvent(r.value()) instanceof JobEvent.Started started) {
                    Process worker = workers.get(Integer.parseInt(started.workerId().substring("scale-worker-".length())));
                    signal("STOP", worker);
                    Thread.sleep(freeze.toMillis());
                    signal("CONT", worker);
                    System.out.printf("ScaleWorkersIT: %s frozen for %s while rendering %s%n", started.workerId(),
                            freeze, jobId);
                    return started.workerId();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError(jobId + " did not start within " + timeout);
    }

    private static boolean answeredByANewOwner(List<Path> logs, String jobId, String oldOwner) throws IOException {
        for (int i = 0; i < logs.size(); i++) {
            if (!oldOwner.equals("scale-worker-" + i) && Files.readAllLines(logs.get(i), StandardCharsets.UTF_8).stream()
                    .anyMatch(l -> l.contains(jobId) && l.contains("answered from its sidecar"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a worker other than oldOwner answers jobId from its sidecar within the timeout; false early once the
     * job completed 45 s ago without that (its record stayed with, or went back to, the old owner).
     */
    static boolean awaitAnsweredByANewOwner(List<Path> logs, List<ConsumerRecord<String, byte[]>> events,
            String jobId, String oldOwner, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long completedAt = 0;
        while (System.nanoTime() < deadline) {
            if (answeredByANewOwner(logs, jobId, oldOwner)) {
                return true;
            }
            if (completedAt == 0 && events.stream().anyMatch(r -> jobId.equals(r.key())
                    && JobJson.readEvent(r.value()) instanceof JobEvent.Completed)) {
                completedAt = System.nanoTime();
            }
            if (completedAt != 0 && System.nanoTime() - completedAt > TimeUnit.SECONDS.toNanos(45)) {
                return false;
            }
            Thread.sleep(500);
        }
        return false;
    }

    private static void signal(String signal, Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal + " " + process.pid());
    }
}
