package io.fluxfleet.job;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One fully populated instance of each event, shared by the JSON and schema tests. */
final class Samples {

    static final Instant T0 = Instant.parse("2030-01-01T12:00:00Z");

    private Samples() {
    }

    static JobEvent.Started started() {
        return new JobEvent.Started(1, "job-42", "worker-a", 1, T0, "cuda:0", 1250);
    }

    static JobEvent.Progress progress() {
        return new JobEvent.Progress(1, "job-42", "worker-a", 1, T0.plusSeconds(3), 7, 18, 0.2053, 0.61, 10_031, 3_100);
    }

    static JobEvent.Completed completed() {
        return new JobEvent.Completed(1, "job-42", "worker-a", 1, T0.plusSeconds(20), "cuda:0", "renders-eu",
                "renders/job-42.png", "renders/job-42.json", "image/png", 1_523_004,
                "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", 1024, 1024, 123456789L,
                "dev", ModelKind.DEV, Acceleration.JIT_4X, 18,
                new JobEvent.Timings(1250, 180, 17_400, 650, 120, 90, 19_690), 48_859, List.of(10_031L, 10_156L, 28_672L),
                0.7614, Map.of("team", "ads"), "http://s3.local/renders-eu/renders/job-42.png?X-Amz-Signature=abc",
                T0.plusSeconds(3620), List.of(new LoraUse("styles/watercolor", 0.8,
                "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae")));
    }

    static JobEvent.Completed completedWithoutPresignedUrl() {
        JobEvent.Completed c = completed();
        return new JobEvent.Completed(c.version(), c.jobId(), c.workerId(), c.attempt(), c.timestamp(), c.device(), c.bucket(),
                c.key(), c.sidecarKey(), c.contentType(), c.bytes(), c.sha256(), c.width(), c.height(), c.seed(), c.model(),
                c.modelKind(), c.acceleration(), c.steps(), c.timings(), c.tokenEvaluations(), c.tokenEvaluationsPerStage(),
                c.flopsSavedFraction(), c.labels(), null, null, List.of());
    }

    static JobEvent.Failed failedAfterRetries() {
        return new JobEvent.Failed(1, "job-42", "worker-b", 3, T0.plusSeconds(600), ErrorCode.RETRIES_EXHAUSTED,
                "storage unavailable on 3 attempts", false,
                List.of(new JobEvent.AttemptError(1, ErrorCode.STORAGE_FAILED, "connection refused", T0.plusSeconds(30), "worker-a"),
                        new JobEvent.AttemptError(2, ErrorCode.STORAGE_FAILED, "connection refused", T0.plusSeconds(200), "worker-b"),
                        new JobEvent.AttemptError(3, ErrorCode.STORAGE_FAILED, "503 Slow Down", T0.plusSeconds(600), "worker-b")),
                List.of(), Map.of("team", "ads"));
    }

    static JobEvent.Failed rejected() {
        ValidationResult result = new JobValidator().validate("{\"prompt\":\"p\",\"stpes\":4}".getBytes());
        return JobEvent.Failed.rejected((ValidationResult.Invalid) result, "worker-a", 1, T0);
    }
}
