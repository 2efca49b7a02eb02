package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Kernels;

/** Final layer: (shift, scale) from SiLU(vec), modulated LayerNorm, Linear to the 64 latent channels. */
public final class LastLayer {

    private final AdaptedLinear adaLN;
    private final AdaptedLinear linear;

    public LastLayer(Weights w, ActiveAdapters adapters) {
        this.adaLN = AdaptedLinear.of(w, "adaLN_modulation.1", adapters);
        this.linear = AdaptedLinear.of(w, "linear", adapters);
    }

    /** @param x [B, N, H] image tokens; returns [B, N, 64] */
    public NDArray forward(NDArray x, NDArray siluVec, Kernels kernels) {
        NDList shiftScale = adaLN.apply(siluVec).expandDims(1).split(2, 2);
        Modulation.Params mod = new Modulation.Params(shiftScale.get(0), shiftScale.get(1), null);
        return linear.apply(mod.modulate(x, kernels));
    }
}
