package io.fluxfleet.flux.vae;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Kernels;

/** GroupNorm with per-channel affine weight and bias over [B, C, H, W], as the autoencoder uses it. */
public record GroupNorm(NDArray weight, NDArray bias, int groups, float eps) {

    public static GroupNorm of(Weights w, String name, int groups) {
        return new GroupNorm(w.get(name + ".weight"), w.get(name + ".bias"), groups, VaeConfig.GROUP_NORM_EPS);
    }

    public NDArray apply(NDArray x, Kernels kernels) {
        return kernels.groupNorm(x, groups, weight, bias, eps);
    }
}
