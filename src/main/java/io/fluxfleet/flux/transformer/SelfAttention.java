package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.tensor.Kernels;

/** Multi-head attention helpers shared by both block types: split heads, QK-norm, RoPE, merge. */
final class SelfAttention {

    private SelfAttention() {}

    /** [B, L, 3H] -> q, k, v each [B, heads, L, D]. */
    static NDList splitHeads(NDArray qkv, int heads) {
        Shape s = qkv.getShape();
        long hidden = s.get(2) / 3;
        NDArray x = qkv.reshape(s.get(0), s.get(1), 3, heads, hidden / heads).transpose(2, 0, 3, 1, 4);
        NDList parts = x.split(3, 0);
        return new NDList(parts.get(0).squeeze(0), parts.get(1).squeeze(0), parts.get(2).squeeze(0));
    }

    /** QK-norm: RMSNorm over the head dims (fp32, eps 1e-6) times a learned scale. */
    static NDArray qkNorm(NDArray x, NDArray scale, Kernels kernels) {
        return kernels.rmsNorm(x, scale, 1e-6f);
    }

    /** RoPE on q and k (in fp32, as the reference), attention, heads merged: returns [B, L, H]. */
    static NDArray attend(NDArray q, NDArray k, NDArray v, NDList pe, Kernels kernels) {
        DataType type = q.getDataType();
        NDArray cos = pe.get(0);
        NDArray sin = pe.get(1);
        NDArray qr = kernels.rope(q.toType(DataType.FLOAT32, false), cos, sin).toType(type, false);
        NDArray kr = kernels.rope(k.toType(DataType.FLOAT32, false), cos, sin).toType(type, false);
        NDArray out = kernels.attention(qr, kr, v); // [B, heads, L, D]
        Shape s = out.getShape();
        return out.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), s.get(1) * s.get(3));
    }
}
