package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.Weights;

/** 2-D convolution with weight [out, in, k, k], stride 1, "same" padding for odd k. */
public record Conv2d(NDArray weight, NDArray bias) {

    public static Conv2d of(Weights w, String name) {
        return new Conv2d(w.get(name + ".weight"), w.get(name + ".bias"));
    }

    public NDArray apply(NDArray x) {
        long k = weight.getShape().get(2);
        long pad = k / 2;
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, weight, bias, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 1)
                .singletonOrThrow();
    }
}
