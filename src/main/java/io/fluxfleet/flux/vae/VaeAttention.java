package io.fluxfleet.flux.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.Conv2d;
import io.fluxfleet.tensor.Kernels;

/**
 * The decoder's mid-block attention: GroupNorm, then 1x1-conv q, k, v, single-head
 * self-attention over the H*W positions with scale 1/sqrt(C), a 1x1-conv output projection and
 * the residual: {@code x + proj_out(attn(norm(x)))}. The result belongs to x's manager.
 */
public record VaeAttention(GroupNorm norm, Conv2d q, Conv2d k, Conv2d v, Conv2d projOut, Kernels kernels) {

    /** @param w scoped to the block ({@code decoder.mid.attn_1}) */
    public static VaeAttention of(Weights w, int groups, Kernels kernels) {
        return new VaeAttention(GroupNorm.of(w, "norm", groups), Conv2d.of(w, "q"), Conv2d.of(w, "k"),
                Conv2d.of(w, "v"), Conv2d.of(w, "proj_out"), kernels);
    }

    public NDArray apply(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        NDArray normed = norm.apply(x, kernels);
        NDArray attended = kernels.attention(tokens(q.apply(normed)), tokens(k.apply(normed)),
                tokens(v.apply(normed)), null, 1.0 / Math.sqrt(c)); // [B, 1, HW, C]
        NDArray image = attended.transpose(0, 1, 3, 2).reshape(b, c, h, w);
        return x.add(projOut.apply(image));
    }

    /** [B, C, H, W] -> [B, 1 head, H*W, C]. */
    private static NDArray tokens(NDArray a) {
        Shape s = a.getShape();
        return a.reshape(s.get(0), 1, s.get(1), s.get(2) * s.get(3)).transpose(0, 1, 3, 2);
    }
}
