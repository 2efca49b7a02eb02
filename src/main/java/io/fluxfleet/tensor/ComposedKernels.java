package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/** The missing kernels composed from eager DJL ops: the reference the fused ones are tested against. */
public final class ComposedKernels implements Kernels {

    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    @Override
    public String name() {
        return "composed";
    }

    @Override
    public NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, double scale) {
        NDArray scores = q.mul(scale).matMul(k.swapAxes(-1, -2)); // [B, H, Lq, Lk]
        if (bias != null) {
            scores = scores.add(bias);
        }
        return scores.softmax(-1).matMul(v);
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        DataType in = x.getDataType();
        NDArray x32 = x.toType(DataType.FLOAT32, false);
        NDArray inv = x32.square().mean(new int[] {-1}, true).add(eps).sqrt().pow(-1);
        return x32.mul(inv).mul(weight.toType(DataType.FLOAT32, false)).toType(in, false);
    }

    @Override
    public NDArray layerNorm(NDArray x, float eps) {
        NDArray mean = x.mean(new int[] {-1}, true);
        NDArray centered = x.sub(mean);
        NDArray var = centered.square().mean(new int[] {-1}, true);
        return centered.div(var.add(eps).sqrt());
    }

    @Override
    public NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        Shape s = x.getShape(); // [B, C, H, W]
        long channels = s.get(1);
        NDArray g = x.reshape(s.get(0), groups, -1);
        NDArray mean = g.mean(new int[] {-1}, true);
        NDArray centered = g.sub(mean);
        NDArray var = centered.square().mean(new int[] {-1}, true);
        NDArray normed = centered.div(var.add(eps).sqrt()).reshape(s);
        return normed.mul(weight.reshape(1, channels, 1, 1)).add(bias.reshape(1, channels, 1, 1));
    }

    @Override
    public NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI);
        return x.mul(inner.tanh().add(1)).mul(0.5);
    }

    @Override
    public NDArray silu(NDArray x) {
        return x.mul(Activation.sigmoid(x));
    }

    @Override
    public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        Shape s = x.getShape(); // [B, heads, L, D]
        NDList pairs = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2).split(2, 4);
        NDArray x0 = pairs.get(0).squeeze(4);
        NDArray x1 = pairs.get(1).squeeze(4);
        NDArray r0 = x0.mul(cos).sub(x1.mul(sin));
        NDArray r1 = x0.mul(sin).add(x1.mul(cos));
        return NDArrays.stack(new NDList(r0, r1), 4).reshape(s);
    }
}
