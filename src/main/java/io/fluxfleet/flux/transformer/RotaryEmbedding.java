package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * RoPE angles from float position ids. Each id axis a of width d_a uses frequencies
 * theta^(-2k/d_a); the angle of pair k is position * frequency. Position comes only from the
 * ids, so any subset of tokens, in any order, at fractional positions, gets consistent angles.
 */
public final class RotaryEmbedding {

    private final int[] axesDim;
    private final double theta;

    public RotaryEmbedding(int[] axesDim, double theta) {
        this.axesDim = axesDim.clone();
        this.theta = theta;
    }

    /** Frequencies of one axis of width d: theta^(-2k/d), k = 0..d/2-1. */
    public static float[] frequencies(int d, double theta) {
        float[] f = new float[d / 2];
        for (int k = 0; k < d / 2; k++) {
            f[k] = (float) Math.pow(theta, -2.0 * k / d);
        }
        return f;
    }

    /**
     * @param ids [B, L, 3] positions (any float)
     * @return cos and sin, each [B, 1, L, headDim/2] in fp32, ready to broadcast over heads
     */
    public NDList anglesCosSin(NDArray ids) {
        NDArray ids32 = ids.toType(DataType.FLOAT32, false);
        NDList perAxis = new NDList();
        NDList columns = ids32.split(axesDim.length, 2); // each [B, L, 1]
        for (int a = 0; a < axesDim.length; a++) {
            NDArray freqs = ids.getManager().create(frequencies(axesDim[a], theta)).expandDims(0); // [1, d/2]
            perAxis.add(columns.get(a).matMul(freqs)); // [B, L, d/2]
        }
        NDArray angles = NDArrays.concat(perAxis, 2).expandDims(1); // [B, 1, L, D/2]
        return new NDList(angles.cos(), angles.sin());
    }
}
