package io.fluxfleet.worker.render;

import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.job.LoraUse;
import java.util.List;

/** A finished engine render: the image, how it was made and which adapters it applied. */
public record Rendered(RenderResult result, long seed, String device, long renderNanos, double flopsSavedFraction,
        List<LoraUse> loras) {
}
