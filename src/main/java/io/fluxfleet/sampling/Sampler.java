package io.fluxfleet.sampling;

/**
 * A denoising loop from noise to data. Implementations (the Euler baseline, JiT, RALU) drive the
 * model only through {@link DenoisingModel}, so they are interchangeable per job.
 */
public interface Sampler {

    /** The preset name reported in events: none, jit-4x, ralu-7x, ... */
    String name();

    /** Number of model calls this sampler makes for the grid. */
    int steps(LatentGrid grid);

    SamplingResult sample(SamplingContext context);
}
