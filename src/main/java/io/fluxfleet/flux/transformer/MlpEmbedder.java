package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.Linear;

/** Linear - SiLU - Linear: embeds the timestep, guidance and pooled CLIP vector into vec. */
public record MlpEmbedder(Linear in, Linear out) {

    public static MlpEmbedder of(Weights w, String name) {
        return new MlpEmbedder(Linear.of(w, name + ".in_layer"), Linear.of(w, name + ".out_layer"));
    }

    public NDArray apply(NDArray x, Kernels kernels) {
        return out.apply(kernels.silu(in.apply(x)));
    }
}
