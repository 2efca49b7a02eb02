package io.fluxfleet.flux.transformer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;

/** Small random-weight transformers and inputs for tests. */
final class TinyTransformers {

    static final FluxConfig CONFIG = new FluxConfig(64, 64, 2, 128, 2, 2, new int[] {4, 14, 14}, 10000, 24, 16, true);

    private TinyTransformers() {}

    static FluxTransformer create(Kernels.Choice kernels, long seed) {
        ComputePolicy policy = ComputePolicy.forDevice(Device.cpu(), kernels);
        Weights w = Weights.fromHost(RandomWeights.generate(CONFIG.spec(), seed), Device.cpu(), DataType.FLOAT32);
        return new FluxTransformer(w, CONFIG, policy);
    }

    /** A full-grid input for a rows x cols grid with 5 text tokens. */
    static FluxTransformer.Input input(NDManager m, LatentGrid grid, long seed) {
        SeededStreams r = new SeededStreams(seed);
        NDArray img = r.normal("img", new Shape(1, grid.tokens(), 64), m);
        NDArray txt = r.normal("txt", new Shape(1, 5, CONFIG.contextDim()), m);
        NDArray pooled = r.normal("pooled", new Shape(1, CONFIG.vecDim()), m);
        return new FluxTransformer.Input(img, grid.ids(m), txt, m.zeros(new Shape(1, 5, 3)),
                m.create(new float[] {0.7f}), pooled, m.create(new float[] {3.5f}));
    }
}
