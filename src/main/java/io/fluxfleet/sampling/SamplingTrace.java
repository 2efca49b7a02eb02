package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;

/**
 * What a sampler did, for people and for replays: every model call with its sigma and the
 * positions of the tokens sent, every stage transition with the tokens that joined, the initial
 * noise and every random draw. Samplers report; a recorder (io.fluxfleet.sampling.trace) keeps.
 * Arrays passed in are only read during the call.
 */
public interface SamplingTrace {

    /** @param noise the initial noise tokens [1, N, 64] in raster order */
    default void initialNoise(NDArray noise) {}

    /** A draw from a named seeded stream: a tensor of normals, as the sampler used it. */
    default void randomNormals(String stream, NDArray values) {}

    /** A draw from a named seeded stream: integers (a permutation, picks in draw order). */
    default void randomIndices(String stream, int[] values) {}

    /**
     * A stage begins (before its first model call).
     *
     * @param joined positions (row, col) on the full token grid of the tokens that joined the
     *     computed set at this transition (all of them at the first stage)
     * @param idScale full-grid position = id * idScale for this stage's ids (RALU's low-resolution
     *     stages: 2)
     */
    default void stage(int stage, float[][] joined, float idScale) {}

    /** @param ids [1, n, 3] (0, row, col) of the tokens sent, in the order sent */
    default void modelCall(int step, float sigma, NDArray ids) {}

    /**
     * The state after model call {@code step} (0-based) and its Euler step: JiT's full latent in
     * raster order, RALU's current stage sequence (the order of that stage's ids).
     */
    default void state(int step, NDArray y) {}

    SamplingTrace NONE = new SamplingTrace() {};
}
