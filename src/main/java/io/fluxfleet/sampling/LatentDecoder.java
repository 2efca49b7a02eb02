package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import java.awt.image.BufferedImage;

/** Decodes a latent [1, 16, h, w] to an image, for samplers that look at pixels mid-way. */
@FunctionalInterface
public interface LatentDecoder {
    BufferedImage decode(NDArray latent);
}
