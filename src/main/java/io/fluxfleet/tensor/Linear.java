package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;

/** y = x W^T + b with W [out, in], PyTorch's layout; one fused addmm per call. */
public record Linear(NDArray weight, NDArray bias) {

    /** Reads {@code <name>.weight} and, when present, {@code <name>.bias}. */
    public static Linear of(Weights w, String name) {
        return new Linear(w.get(name + ".weight"), w.has(name + ".bias") ? w.get(name + ".bias") : null);
    }

    public NDArray apply(NDArray x) {
        return ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    public long outFeatures() {
        return weight.getShape().get(0);
    }
}
