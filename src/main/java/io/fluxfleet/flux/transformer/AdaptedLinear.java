package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Linear;

/**
 * A transformer Linear layer that adapters can change: y = W x + b + sum of s * B (A x) over the
 * bound adapters. W stays as loaded; with nothing bound this is the plain Linear.
 *
 * @param name canonical layer name, the key adapters are mapped onto
 */
public record AdaptedLinear(String name, Linear base, ActiveAdapters adapters) {

    public static AdaptedLinear of(Weights w, String name, ActiveAdapters adapters) {
        return new AdaptedLinear(w.qualified(name), Linear.of(w, name), adapters);
    }

    public NDArray apply(NDArray x) {
        return adapters.addSidePaths(name, x, base.apply(x));
    }
}
