package io.fluxfleet.worker.render;

import io.fluxfleet.flux.RenderResult;

/** A finished engine render: the image and how it was made. */
public record Rendered(RenderResult result, long seed, String device, long renderNanos, double flopsSavedFraction) {
}
