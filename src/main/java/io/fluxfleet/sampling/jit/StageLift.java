package io.fluxfleet.sampling.jit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.fluxfleet.sampling.LatentGrid;

/**
 * Everything a stage needs on the device, built once per stage: the anchors' indices, the
 * nearest-anchor map and the blur. {@link #lift} turns values at the anchors into a full grid:
 * nearest-anchor fill, Gaussian blur, anchors restored exactly. All device ops, no host trips.
 */
public final class StageLift implements AutoCloseable {

    private final AnchorSet anchors;
    private final LatentGrid grid;
    private final NDManager manager;
    private final NDArray anchorIndex; // [m] int64 raster indices
    private final NDArray nearest; // [N] int64 positions in anchorIndex
    private final NDArray isAnchor; // [1, N, 64] boolean (DJL's where does not broadcast)
    private final NDArray rowKernel; // [64, 1, 1, k] depthwise
    private final NDArray colKernel; // [64, 1, k, 1]
    private final NDArray coverage; // [1, 1, h, w]: blur of ones, for edge normalisation
    private final int radius;
    private final double blurSigma;

    public StageLift(AnchorSet anchors, NDManager parent) {
        this.anchors = anchors;
        this.grid = anchors.grid();
        this.manager = parent.newSubManager();
        long[] idx = java.util.Arrays.stream(anchors.indices()).asLongStream().toArray();
        long[] near = java.util.Arrays.stream(anchors.nearestAnchor()).asLongStream().toArray();
        anchorIndex = manager.create(idx);
        nearest = manager.create(near);
        isAnchor = mask(manager, grid.tokens(), anchors.indices()).repeat(2, 64).toType(DataType.BOOLEAN, false);
        double rho = (double) anchors.size() / grid.tokens();
        blurSigma = Math.min(10, Math.max(1, 0.4 / Math.sqrt(rho)));
        radius = (int) Math.ceil(3 * blurSigma); // kernel 2 * ceil(3 sigma) + 1
        float[] g = gaussian(blurSigma, radius);
        int k = g.length;
        rowKernel = manager.create(g).reshape(1, 1, 1, k).repeat(0, 64);
        colKernel = manager.create(g).reshape(1, 1, k, 1).repeat(0, 64);
        NDArray ones = manager.ones(new Shape(1, 1, grid.rows(), grid.cols()));
        coverage = blur(ones, rowKernel.get("0:1"), colKernel.get("0:1"), 1);
    }

    public AnchorSet anchors() {
        return anchors;
    }

    public double blurSigma() {
        return blurSigma;
    }

    public int kernelSize() {
        return 2 * radius + 1;
    }

    /** The anchors' rows of a full-grid tensor [B, N, C] -> [B, m, C]. */
    public NDArray gather(NDArray full) {
        return full.get(new NDIndex(":, {}", anchorIndex.toDevice(full.getDevice(), false)));
    }

    /** Values at the anchors [1, m, 64] -> full grid [1, N, 64]; exact at anchors. */
    public NDArray lift(NDArray atAnchors) {
        if (anchors.isFull()) {
            return atAnchors.duplicate();
        }
        NDArray filled = atAnchors.get(new NDIndex(":, {}", nearest)); // [1, N, 64]
        NDArray image = filled.reshape(1, grid.rows(), grid.cols(), 64).transpose(0, 3, 1, 2);
        NDArray blurred = blur(image, rowKernel, colKernel, 64).div(coverage)
                .transpose(0, 2, 3, 1).reshape(1, grid.tokens(), 64);
        return NDArrays.where(isAnchor, filled, blurred); // anchors exact, the others blurred
    }

    /**
     * Separable depthwise Gaussian blur with zero padding; dividing by the blurred ones mask
     * (normalised convolution) then weighs only in-grid cells, so edges are not darkened.
     */
    private NDArray blur(NDArray x, NDArray rows, NDArray cols, int channels) {
        NDArray h = Conv2d.conv2d(x, rows, null, new Shape(1, 1), new Shape(0, radius), new Shape(1, 1), channels)
                .singletonOrThrow();
        return Conv2d.conv2d(h, cols, null, new Shape(1, 1), new Shape(radius, 0), new Shape(1, 1), channels)
                .singletonOrThrow();
    }

    private static float[] gaussian(double sigma, int radius) {
        float[] g = new float[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            sum += Math.exp(-i * i / (2 * sigma * sigma));
        }
        for (int i = -radius; i <= radius; i++) {
            g[i + radius] = (float) (Math.exp(-i * i / (2 * sigma * sigma)) / sum);
        }
        return g;
    }

    /** [1, N, 1] float mask of the given raster indices, for blending a token subset. */
    static NDArray mask(NDManager m, int tokens, int[] indices) {
        float[] f = new float[tokens];
        for (int i : indices) {
            f[i] = 1;
        }
        return m.create(f, new Shape(1, tokens, 1));
    }

    @Override
    public void close() {
        manager.close();
    }
}
