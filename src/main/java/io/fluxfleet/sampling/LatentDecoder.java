package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;

/** Decodes a latent, for samplers that look at pixels mid-way (RALU's image-space edge score). */
@FunctionalInterface
public interface LatentDecoder {

    /**
     * @param latent [1, 16, h, w], as the sampler holds it (scaled; the decoder unscales)
     * @return the decoder network's output [1, 3, 8h, 8w] in fp32, about [-1, 1], NOT clamped
     */
    NDArray decode(NDArray latent);
}
