package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;

/**
 * What a sampler sees of the model: a velocity for any set of image tokens at a noise level.
 * The text conditioning of the job is already bound. Tokens carry their own positions, so a
 * sampler may send a sparse subset, in any order, at fractional positions.
 */
public interface DenoisingModel {

    /**
     * @param tokens [B, n, 64] packed latent tokens
     * @param ids [B, n, 3] float positions (0, row, col) on the full token grid
     * @param sigma noise level in [0, 1], the same for the whole batch
     * @return the velocity [B, n, 64] in fp32 (about noise minus data)
     */
    NDArray velocity(NDArray tokens, NDArray ids, float sigma);

    /** Image tokens sent through the transformer so far (summed over calls and batch). */
    long tokenEvaluations();
}
