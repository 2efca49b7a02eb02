package io.fluxfleet.worker.render;

import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.sampling.trace.TraceRecorder;
import java.util.List;

/**
 * A finished engine render: the image, how it was made and which adapters it applied.
 *
 * @param trace the sampler's trace when the job asked for it ({@code trace: true}), else null
 * @param loras the adapters applied, in order; empty when none
 */
public record Rendered(RenderResult result, long seed, String device, long renderNanos, double flopsSavedFraction,
        TraceRecorder trace, List<LoraUse> loras) {
}
