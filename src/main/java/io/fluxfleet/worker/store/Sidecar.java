package io.fluxfleet.worker.store;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.job.ModelKind;
import java.time.Instant;
import java.util.List;

/**
 * The metadata object written next to each image ({@code <keyPrefix>/<jobId>.json}): what the image
 * is (size, sha256 of its bytes), how it was made (the normalised request echoed, seed actually used,
 * model's name and kind, preset, steps, token evaluations, FLOPs saved, timings up to the image upload, the T5 length the
 * prompt was encoded at, the keys of the sampler trace when the job asked for one, the LoRA adapters
 * applied with their sha256) and by whom.
 * Written with {@link io.fluxfleet.job.JobJson#toJson}. Its tenant and request hash decide whether a
 * later job with the same key may be answered from it (docs/security.md).
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
        String model,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        ModelKind modelKind,
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
        String tenant,
        String requestSha256,
        Integer textTokens,
        @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        List<String> traceKeys,
        List<LoraUse> loras) {

    public static final int VERSION = 1;

    /**
     * The SHA-256 (hex) of the normalised request as the worker writes it: a redelivery of the same
     * request has the same hash, another request under the same jobId a different one.
     */
    public static String requestSha256(JobRequest request) {
        return ImageEncoding.sha256(io.fluxfleet.job.JobJson.writeRequest(request));
    }
}
