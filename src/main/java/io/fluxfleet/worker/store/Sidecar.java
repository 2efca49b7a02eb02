package io.fluxfleet.worker.store;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.job.Model;
import java.time.Instant;
import java.util.List;

/**
 * The metadata object written next to each image ({@code <keyPrefix>/<jobId>.json}): what the image
 * is (size, sha256 of its bytes), how it was made (the normalised request echoed, seed actually used,
 * preset, steps, token evaluations, FLOPs saved, timings up to the image upload) and by whom.
 * Written with {@link io.fluxfleet.job.JobJson#toJson}.
 */
public record Sidecar(
        int version,
        String jobId,
        String bucket,
        String key,
        String contentType,
        long bytes,
        String sha256,
        int width,
        int height,
        long seed,
        Model model,
        Acceleration acceleration,
        String sampler,
        int steps,
        long tokenEvaluations,
        List<Long> tokenEvaluationsPerStage,
        double flopsSavedFraction,
        JobEvent.Timings timings,
        String workerId,
        String device,
        int attempt,
        Instant createdAt,
        JobRequest request,
        List<LoraUse> loras) {

    public static final int VERSION = 1;
}
