package io.fluxfleet.worker;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The records this worker is handling, from pickup until the handler returns and the record is
 * acknowledged (render, upload and the terminal event's publish): what a shutdown drains. Also
 * makes sure a jobId renders at most once at a time in this worker: a second delivery of the same
 * jobId (the retry topic and a redelivery, or a partition that came back) waits for the first.
 */
@ApplicationScoped
public class InFlightJobs {

    private final Map<String, Integer> claims = new HashMap<>();
    private int inFlight;

    /** Held while one delivery of a jobId is handled; close to release. */
    public interface Claim extends AutoCloseable {
        @Override
        void close();
    }

    /** Counts a record in flight until the returned handle is closed. */
    public synchronized Claim enter() {
        inFlight++;
        return () -> {
            synchronized (InFlightJobs.this) {
                inFlight--;
                InFlightJobs.this.notifyAll();
            }
        };
    }

    /** Waits until no other delivery of jobId is being handled here, then holds it. */
    public synchronized Claim claim(String jobId) throws InterruptedException {
        while (claims.containsKey(jobId)) {
            wait();
        }
        claims.put(jobId, 1);
        return () -> {
            synchronized (InFlightJobs.this) {
                claims.remove(jobId);
                InFlightJobs.this.notifyAll();
            }
        };
    }

    public synchronized int size() {
        return inFlight;
    }

    /** Waits until nothing is in flight; false when timeout passed first. */
    public synchronized boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (inFlight > 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            wait(Math.max(1, left / 1_000_000));
        }
        return true;
    }
}
