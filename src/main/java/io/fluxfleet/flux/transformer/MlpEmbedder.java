package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Kernels;

/** Linear - SiLU - Linear: embeds the timestep, guidance and pooled CLIP vector into vec. */
public record MlpEmbedder(AdaptedLinear in, AdaptedLinear out) {

    public static MlpEmbedder of(Weights w, String name, ActiveAdapters adapters) {
        return new MlpEmbedder(AdaptedLinear.of(w, name + ".in_layer", adapters),
                AdaptedLinear.of(w, name + ".out_layer", adapters));
    }

    public NDArray apply(NDArray x, Kernels kernels) {
        return out.apply(kernels.silu(in.apply(x)));
    }
}
