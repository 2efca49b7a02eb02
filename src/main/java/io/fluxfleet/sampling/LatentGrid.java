package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The token grid of an image: a latent [B, 16, 2h, 2w] packs into h*w tokens of 64 values,
 * each token a 2x2 patch, channel index c*4 + dy*2 + dx, in raster order.
 */
public record LatentGrid(int rows, int cols) {

    public static final int LATENT_CHANNELS = 16;
    public static final int TOKEN_WIDTH = 64;

    /** The grid of a width x height image: one token per 16x16 pixels. */
    public static LatentGrid forImage(int width, int height) {
        return new LatentGrid((height + 15) / 16, (width + 15) / 16);
    }

    public int tokens() {
        return rows * cols;
    }

    /** Position ids of every token in raster order: [1, N, 3] with (0, row, col). */
    public NDArray ids(NDManager manager) {
        float[] ids = new float[tokens() * 3];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int t = r * cols + c;
                ids[t * 3 + 1] = r;
                ids[t * 3 + 2] = c;
            }
        }
        return manager.create(ids, new Shape(1, tokens(), 3));
    }

    /** [B, 16, 2h, 2w] -> [B, h*w, 64]. */
    public NDArray pack(NDArray latent) {
        long b = latent.getShape().get(0);
        return latent.reshape(b, LATENT_CHANNELS, rows, 2, cols, 2)
                .transpose(0, 2, 4, 1, 3, 5)
                .reshape(b, tokens(), TOKEN_WIDTH);
    }

    /** [B, h*w, 64] -> [B, 16, 2h, 2w]. */
    public NDArray unpack(NDArray tokens) {
        long b = tokens.getShape().get(0);
        return tokens.reshape(b, rows, cols, LATENT_CHANNELS, 2, 2)
                .transpose(0, 3, 1, 4, 2, 5)
                .reshape(b, LATENT_CHANNELS, 2L * rows, 2L * cols);
    }
}
