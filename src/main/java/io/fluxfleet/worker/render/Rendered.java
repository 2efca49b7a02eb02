package io.fluxfleet.worker.render;

import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.sampling.trace.TraceRecorder;

/**
 * A finished engine render: the image and how it was made.
 *
 * @param trace the sampler's trace when the job asked for it ({@code trace: true}), else null
 */
public record Rendered(RenderResult result, long seed, String device, long renderNanos, double flopsSavedFraction,
        TraceRecorder trace) {
}
