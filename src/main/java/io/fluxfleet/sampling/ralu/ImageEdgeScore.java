package io.fluxfleet.sampling.ralu;

import boofcv.alg.feature.detect.edge.CannyEdge;
import boofcv.factory.feature.detect.edge.FactoryEdgeDetectors;
import boofcv.struct.image.GrayS16;
import boofcv.struct.image.GrayU8;
import java.awt.image.BufferedImage;

/**
 * RALU's image-space edge score: the decoded clean-image estimate in grayscale
 * (0.299 R + 0.587 G + 0.114 B), Canny with the paper's thresholds 100 / 200, and the number of
 * edge pixels inside each low-resolution token's footprint.
 *
 * <p>The paper's thresholds are OpenCV's, on unnormalised 3x3 Sobel responses, which are four
 * times the [-1 0 1] derivative BoofCV's Canny uses; so BoofCV gets 100/4 and 200/4, after its
 * smallest Gaussian pre-blur.
 */
public final class ImageEdgeScore {

    public static final float LOW_THRESHOLD = 100;
    public static final float HIGH_THRESHOLD = 200;
    /** OpenCV's Sobel-3 response over the [-1 0 1] central difference, for a step edge. */
    private static final float SOBEL_TO_CENTRAL = 4;

    private ImageEdgeScore() {}

    /** @return edge pixels per token of a rows x cols grid laid over the image, raster order */
    public static float[] canny(BufferedImage image, int rows, int cols) {
        int w = image.getWidth();
        int h = image.getHeight();
        GrayU8 gray = new GrayU8(w, h);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = image.getRGB(x, y);
                double luma = 0.299 * ((p >> 16) & 255) + 0.587 * ((p >> 8) & 255) + 0.114 * (p & 255);
                gray.set(x, y, (int) Math.round(luma));
            }
        }
        GrayU8 edges = new GrayU8(w, h);
        CannyEdge<GrayU8, GrayS16> canny = FactoryEdgeDetectors.canny(1, false, false, GrayU8.class, GrayS16.class);
        canny.process(gray, LOW_THRESHOLD / SOBEL_TO_CENTRAL, HIGH_THRESHOLD / SOBEL_TO_CENTRAL, edges);
        float[] score = new float[rows * cols];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (edges.get(x, y) != 0) {
                    score[Math.min(rows - 1, y * rows / h) * cols + Math.min(cols - 1, x * cols / w)]++;
                }
            }
        }
        return score;
    }
}
