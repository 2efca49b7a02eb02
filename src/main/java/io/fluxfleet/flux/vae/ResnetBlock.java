package io.fluxfleet.flux.vae;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Conv2d;
import io.fluxfleet.tensor.Kernels;

/**
 * The autoencoder's ResNet block: {@code skip(x) + conv2(swish(norm2(conv1(swish(norm1(x))))))}
 * where {@code skip} is a 1x1 conv ({@code nin_shortcut}) when the input and output widths
 * differ and the identity otherwise. The result belongs to x's manager; intermediates too, so
 * callers scope each call (the decoder does).
 *
 * @param shortcut null when the widths agree
 */
public record ResnetBlock(GroupNorm norm1, Conv2d conv1, GroupNorm norm2, Conv2d conv2, Conv2d shortcut,
        Kernels kernels) {

    /** @param w scoped to the block ({@code decoder.up.3.block.0}, say) */
    public static ResnetBlock of(Weights w, int groups, Kernels kernels) {
        Conv2d shortcut = w.has("nin_shortcut.weight") ? Conv2d.of(w, "nin_shortcut") : null;
        return new ResnetBlock(GroupNorm.of(w, "norm1", groups), Conv2d.of(w, "conv1"),
                GroupNorm.of(w, "norm2", groups), Conv2d.of(w, "conv2"), shortcut, kernels);
    }

    public NDArray apply(NDArray x) {
        NDArray h = conv1.apply(kernels.silu(norm1.apply(x, kernels)));
        h = conv2.apply(kernels.silu(norm2.apply(h, kernels)));
        NDArray skip = shortcut == null ? x : shortcut.apply(x);
        return skip.add(h);
    }
}
