package io.fluxfleet.cli;

import io.fluxfleet.job.JobEvent;
import java.io.PrintStream;
import java.util.Locale;

/** The progress lines {@code fluxfleet submit} prints for a job's events: started, progress, completed, failed. */
final class JobEventPrinter {

    private final PrintStream err;

    JobEventPrinter(PrintStream err) {
        this.err = err;
    }

    void print(JobEvent event) {
        if (event instanceof JobEvent.Started s) {
            err.printf("started on %s (%s), queue wait %d ms%n", s.workerId(), s.device(), s.queueWaitMs());
        } else if (event instanceof JobEvent.Progress p) {
            err.printf(Locale.ROOT, "progress %d/%d  %3.0f%%  sigma %.3f  %d ms%n", p.step(), p.totalSteps(),
                    p.fraction() * 100, p.sigma(), p.elapsedMs());
        } else if (event instanceof JobEvent.Completed c) {
            printCompleted(c);
        } else if (event instanceof JobEvent.Failed f) {
            err.printf("failed%s: %s %s%n", f.retryable() ? " (will be retried)" : "", f.code(), f.message());
            f.validationErrors().forEach(v -> err.printf("  %s %s: %s%n", v.code(),
                    v.field() == null ? "(request)" : v.field(), v.message()));
        }
    }

    private void printCompleted(JobEvent.Completed c) {
        JobEvent.Timings t = c.timings();
        err.printf(Locale.ROOT, "completed by %s on %s: %dx%d, %s, seed %d, %d steps, %.0f%% FLOPs saved%n",
                c.workerId(), c.device(), c.width(), c.height(), c.acceleration().wireName(), c.seed(), c.steps(),
                c.flopsSavedFraction() * 100);
        err.printf("  timings: queue %d ms, text %d ms, denoise %d ms, decode %d ms, encode %d ms, upload %d ms, total %d ms%n",
                t.queueWaitMs(), t.textEncodeMs(), t.denoiseMs(), t.decodeMs(), t.encodeMs(), t.uploadMs(), t.totalMs());
        err.printf("  image:   s3://%s/%s (%d bytes, %s, sha256 %s)%n", c.bucket(), c.key(), c.bytes(),
                c.contentType(), c.sha256());
        err.printf("  sidecar: s3://%s/%s%n", c.bucket(), c.sidecarKey());
        if (c.presignedUrl() != null) {
            err.printf("  url:     %s (until %s)%n", c.presignedUrl(), c.presignedUrlExpiresAt());
        }
    }
}
