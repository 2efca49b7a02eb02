package io.fluxfleet.sampling.jit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.fluxfleet.sampling.LatentGrid;

/**
 * Everything a stage needs on the device, built once per stage: the anchors' indices, the
 * nearest-anchor map and the blur. {@link #lift} turns values at the anchors into a full grid:
 * nearest-anchor fill, Gaussian blur, anchors restored exactly. All device ops, no host trips.
 *
 * <p>Blur padding: REFLECT (default, torchvision's gaussian_blur in the reference) mirrors the grid
 * without repeating the edge cell; the nearest-anchor fill and the reflection are composed into
 * one gather of the padded grid, then a valid convolution. NORMALIZED_ZERO (our option) pads with
 * zeros and divides by the blurred ones mask, so edge cells average only in-grid values.
 */
public final class StageLift implements AutoCloseable {

    private final AnchorSet anchors;
    private final LatentGrid grid;
    private final NDManager manager;
    private final JitPreset.BlurPadding padding;
    private final NDArray anchorIndex; // [m] int64 raster indices, list order
    private final NDArray nearest; // [N] int64 positions in anchorIndex
    private final NDArray paddedNearest; // [(h+2r)(w+2r)] int64: nearest of the reflected cell
    private final NDArray isAnchor; // [1, N, 64] boolean (DJL's where does not broadcast)
    private final NDArray rowKernel; // [64, 1, 1, k] depthwise
    private final NDArray colKernel; // [64, 1, k, 1]
    private final NDArray coverage; // [1, 1, h, w]: blur of ones, for NORMALIZED_ZERO
    private final int radius;
    private final double blurSigma;

    public StageLift(AnchorSet anchors, NDManager parent) {
        this(anchors, JitPreset.BlurPadding.REFLECT, parent);
    }

    public StageLift(AnchorSet anchors, JitPreset.BlurPadding padding, NDManager parent) {
        this.anchors = anchors;
        this.grid = anchors.grid();
        this.padding = padding;
        this.manager = parent.newSubManager();
        int[] near = anchors.nearestAnchor();
        anchorIndex = manager.create(java.util.Arrays.stream(anchors.indices()).asLongStream().toArray());
        nearest = manager.create(java.util.Arrays.stream(near).asLongStream().toArray());
        isAnchor = mask(manager, grid.tokens(), anchors.indices()).repeat(2, 64).toType(DataType.BOOLEAN, false);
        double rho = (double) anchors.size() / grid.tokens();
        blurSigma = Math.min(10, Math.max(1, 0.4 / Math.sqrt(rho)));
        radius = (int) Math.ceil(3 * blurSigma); // kernel 2 * ceil(3 sigma) + 1
        float[] g = gaussian(blurSigma, radius);
        int k = g.length;
        rowKernel = manager.create(g).reshape(1, 1, 1, k).repeat(0, 64);
        colKernel = manager.create(g).reshape(1, 1, k, 1).repeat(0, 64);
        paddedNearest = manager.create(reflectedNearest(near));
        coverage = blur(manager.ones(new Shape(1, 1, grid.rows(), grid.cols())), rowKernel.get("0:1"),
                colKernel.get("0:1"), 1, radius);
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

    /** The anchors' rows of a full-grid tensor [B, N, C] -> [B, m, C], in the anchor list's order. */
    public NDArray gather(NDArray full) {
        return full.get(new NDIndex(":, {}", anchorIndex.toDevice(full.getDevice(), false)));
    }

    /** Values at the anchors [1, m, 64] -> full grid [1, N, 64]; exact at anchors. */
    public NDArray lift(NDArray atAnchors) {
        if (anchors.isFull()) {
            return atAnchors.duplicate();
        }
        NDArray filled = atAnchors.get(new NDIndex(":, {}", nearest)); // [1, N, 64]
        NDArray blurred;
        if (padding == JitPreset.BlurPadding.REFLECT) {
            NDArray padded = atAnchors.get(new NDIndex(":, {}", paddedNearest))
                    .reshape(1, grid.rows() + 2L * radius, grid.cols() + 2L * radius, 64).transpose(0, 3, 1, 2);
            blurred = blur(padded, rowKernel, colKernel, 64, 0);
        } else {
            NDArray image = filled.reshape(1, grid.rows(), grid.cols(), 64).transpose(0, 3, 1, 2);
            blurred = blur(image, rowKernel, colKernel, 64, radius).div(coverage);
        }
        blurred = blurred.transpose(0, 2, 3, 1).reshape(1, grid.tokens(), 64);
        return NDArrays.where(isAnchor, filled, blurred); // anchors exact, the others blurred
    }

    /** Separable depthwise blur, zero-padded by {@code pad} cells (0: valid). */
    private NDArray blur(NDArray x, NDArray rows, NDArray cols, int channels, int pad) {
        NDArray h = Conv2d.conv2d(x, rows, null, new Shape(1, 1), new Shape(0, pad), new Shape(1, 1), channels)
                .singletonOrThrow();
        return Conv2d.conv2d(h, cols, null, new Shape(1, 1), new Shape(pad, 0), new Shape(1, 1), channels)
                .singletonOrThrow();
    }

    /** For every cell of the reflect-padded grid, the nearest anchor of the cell it mirrors. */
    private long[] reflectedNearest(int[] near) {
        int h = grid.rows() + 2 * radius;
        int w = grid.cols() + 2 * radius;
        long[] out = new long[h * w];
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                out[r * w + c] = near[reflect(r - radius, grid.rows()) * grid.cols() + reflect(c - radius, grid.cols())];
            }
        }
        return out;
    }

    /**
     * Mirror index without repeating the edge (-1 -> 1, n -> n - 2), folded again when the
     * kernel is wider than the grid (torch would refuse such a pad; a periodic mirror extends it).
     */
    static int reflect(int i, int n) {
        if (n == 1) {
            return 0;
        }
        int period = 2 * (n - 1);
        int q = Math.floorMod(i, period);
        return q < n ? q : period - q;
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
