package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Everything a sampler needs for one job.
 *
 * @param model the transformer with the job's text conditioning bound
 * @param grid the token grid of the image
 * @param noise the initial noise tokens [B, N, 64] in raster order (sigma = 1)
 * @param random the job's seeded random streams
 * @param observer progress and cancellation
 * @param manager where the sampler allocates; closed by the caller
 * @param decoder the VAE, for samplers that score decoded images (RALU's image-space edges);
 *     null when none is at hand
 * @param trace where the sampler reports its calls and draws ({@link SamplingTrace#NONE}: nowhere)
 */
public record SamplingContext(DenoisingModel model, LatentGrid grid, NDArray noise, SeededStreams random,
        StepObserver observer, NDManager manager, LatentDecoder decoder, SamplingTrace trace) {

    public SamplingContext {
        trace = trace == null ? SamplingTrace.NONE : trace;
    }

    public SamplingContext(DenoisingModel model, LatentGrid grid, NDArray noise, SeededStreams random,
            StepObserver observer, NDManager manager, LatentDecoder decoder) {
        this(model, grid, noise, random, observer, manager, decoder, SamplingTrace.NONE);
    }

    public SamplingContext(DenoisingModel model, LatentGrid grid, NDArray noise, SeededStreams random,
            StepObserver observer, NDManager manager) {
        this(model, grid, noise, random, observer, manager, null);
    }

    /** The same context reporting to {@code t}. */
    public SamplingContext withTrace(SamplingTrace t) {
        return new SamplingContext(model, grid, noise, random, observer, manager, decoder, t);
    }
}
