package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Sinusoidal embedding of a timestep or guidance value: t is scaled by 1000, frequencies are
 * exp(-ln(10000) k / 128) for k = 0..127, laid out [cos(t f), sin(t f)] (256 wide).
 */
public final class TimestepEmbedding {

    public static final int WIDTH = 256;
    private static final double TIME_FACTOR = 1000;
    private static final double MAX_PERIOD = 10000;

    private TimestepEmbedding() {}

    /** Frequencies f_k, k = 0..WIDTH/2-1. */
    public static float[] frequencies() {
        int half = WIDTH / 2;
        float[] f = new float[half];
        for (int k = 0; k < half; k++) {
            f[k] = (float) Math.exp(-Math.log(MAX_PERIOD) * k / half);
        }
        return f;
    }

    /** @param t [B] values in [0, 1] (sigma or guidance); returns [B, 256] fp32 */
    public static NDArray embed(NDArray t, NDManager manager) {
        NDArray freqs = manager.create(frequencies()).expandDims(0); // [1, 128]
        NDArray args = t.toType(DataType.FLOAT32, false).mul(TIME_FACTOR).expandDims(1).matMul(freqs); // [B, 128]
        return NDArrays.concat(new NDList(args.cos(), args.sin()), 1);
    }
}
