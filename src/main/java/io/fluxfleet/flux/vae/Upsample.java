package io.fluxfleet.flux.vae;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Conv2d;

/**
 * Nearest-neighbour 2x upsampling followed by a 3x3 conv. Nearest 2x is each pixel repeated
 * twice along H and W, which is DJL's {@code repeat(axis, 2)} (PyTorch's repeat_interleave)
 * on axes 2 and 3: out[y][x] = in[y/2][x/2], the same as
 * {@code F.interpolate(x, scale_factor=2, mode="nearest")}.
 */
public record Upsample(Conv2d conv) {

    /** @param w scoped to the level ({@code decoder.up.3}, say) */
    public static Upsample of(Weights w) {
        return new Upsample(Conv2d.of(w, "upsample.conv"));
    }

    public NDArray apply(NDArray x) {
        return conv.apply(nearest2x(x));
    }

    /** [B, C, H, W] -> [B, C, 2H, 2W], nearest neighbour. */
    public static NDArray nearest2x(NDArray x) {
        return x.repeat(2, 2).repeat(3, 2);
    }
}
