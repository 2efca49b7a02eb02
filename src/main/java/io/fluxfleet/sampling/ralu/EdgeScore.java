package io.fluxfleet.sampling.ralu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import io.fluxfleet.sampling.GridOps;

/**
 * Edge content per low-resolution token, from the clean-image estimate in latent space: Sobel
 * gradient magnitude per latent channel (edges replicated), summed over channels and over the
 * token's 2x2 latent pixels. Needs no VAE decode mid-sampling.
 */
public final class EdgeScore {

    private static final float[] SOBEL_X = {-1, 0, 1, -2, 0, 2, -1, 0, 1};
    private static final float[] SOBEL_Y = {-1, -2, -1, 0, 0, 0, 1, 2, 1};

    private EdgeScore() {}

    /** @param latent [1, C, H, W] (H, W even); returns one score per token of the (H/2, W/2) grid */
    public static float[] latent(NDArray latent) {
        Shape s = latent.getShape();
        long channels = s.get(1);
        NDManager m = latent.getManager();
        NDArray padded = GridOps.replicatePad(latent);
        NDArray kx = m.create(SOBEL_X, new Shape(1, 1, 3, 3)).repeat(0, channels);
        NDArray ky = m.create(SOBEL_Y, new Shape(1, 1, 3, 3)).repeat(0, channels);
        NDArray gx = conv(padded, kx, channels);
        NDArray gy = conv(padded, ky, channels);
        NDArray magnitude = gx.square().add(gy.square()).sqrt().sum(new int[] {1}); // [1, H, W]
        return magnitude.reshape(s.get(2) / 2, 2, s.get(3) / 2, 2).sum(new int[] {1, 3}).toFloatArray();
    }

    private static NDArray conv(NDArray x, NDArray kernel, long groups) {
        return Conv2d.conv2d(x, kernel, null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), (int) groups)
                .singletonOrThrow();
    }
}
