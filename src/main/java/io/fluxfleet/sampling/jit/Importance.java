package io.fluxfleet.sampling.jit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.fluxfleet.sampling.GridOps;
import io.fluxfleet.sampling.LatentGrid;

/**
 * Where detail is forming: the local variance of the velocity over a 3x3 window (mean of v^2
 * minus squared mean, per channel, stride 1), averaged over channels, then min-max normalised
 * with 1e-8 added to the range, as the reference does. The reference's window is an average pool
 * that pads with zeros and divides by 9 everywhere (default); replicating the edges is our option.
 */
public final class Importance {

    private Importance() {}

    /** @param velocity [1, N, 64]; returns importance per token in raster order, in [0, 1] */
    public static float[] compute(NDArray velocity, LatentGrid grid, JitPreset.ImportancePadding padding) {
        boolean zero = padding == JitPreset.ImportancePadding.ZERO;
        NDArray v = velocity.reshape(1, grid.rows(), grid.cols(), 64).transpose(0, 3, 1, 2); // [1, 64, h, w]
        NDArray padded = zero ? v : GridOps.replicatePad(v);
        long pad = zero ? 1 : 0;
        NDArray box = v.getManager().ones(new Shape(64, 1, 3, 3)).div(9f);
        NDArray mean = Conv2d.conv2d(padded, box, null, new Shape(1, 1), new Shape(pad, pad), new Shape(1, 1), 64)
                .singletonOrThrow();
        NDArray meanSq = Conv2d.conv2d(padded.square(), box, null, new Shape(1, 1), new Shape(pad, pad),
                new Shape(1, 1), 64).singletonOrThrow();
        NDArray variance = meanSq.sub(mean.square()).mean(new int[] {1}); // [1, h, w]
        float[] out = variance.toFloatArray();
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float x : out) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        float range = max - min + 1e-8f;
        for (int i = 0; i < out.length; i++) {
            out[i] = (out[i] - min) / range;
        }
        return out;
    }
}
