package io.fluxfleet.sampling.ralu;

import ai.djl.ndarray.NDArray;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgproc.Imgproc;

/**
 * RALU's image-space edge score, as the reference computes it: gray = 0.299 R + 0.587 G + 0.114 B
 * on the decoder's output (fp32, about [-1, 1]), mapped to 8 bits, then OpenCV's
 * Canny(gray, 100, 200) (3x3 Sobel, L1 magnitude, non-maximum suppression, hysteresis, no
 * pre-blur), and the number of edge pixels in each token's patch of the image.
 */
public final class ImageEdgeScore {

    public static final double LOW_THRESHOLD = 100;
    public static final double HIGH_THRESHOLD = 200;

    private ImageEdgeScore() {}

    /** Loads OpenCV's natives (bundled in the jar) once. */
    private static final class Natives {
        static {
            nu.pattern.OpenCV.loadLocally();
        }

        static void ensure() {}
    }

    /**
     * @param decoded [1, 3, H, W] decoder output
     * @return edge pixels per token of a rows x cols grid of equal patches, raster order
     */
    public static float[] score(NDArray decoded, int rows, int cols, RaluPreset.GrayMapping mapping) {
        long h = decoded.getShape().get(2);
        long w = decoded.getShape().get(3);
        return perPatch(canny(gray8(decoded.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(),
                (int) h, (int) w, mapping), (int) h, (int) w), (int) h, (int) w, rows, cols);
    }

    /**
     * The 8-bit gray image, computed in fp32 like the reference's numpy code; CLIPPED:
     * trunc(clip(gray, 0, 1) * 255), FULL_RANGE: trunc(clip((gray + 1) * 127.5, 0, 255)).
     */
    static byte[] gray8(float[] chw, int h, int w, RaluPreset.GrayMapping mapping) {
        int plane = h * w;
        byte[] out = new byte[plane];
        for (int i = 0; i < plane; i++) {
            float gray = 0.299f * chw[i] + 0.587f * chw[plane + i] + 0.114f * chw[2 * plane + i];
            float level = mapping == RaluPreset.GrayMapping.CLIPPED
                    ? Math.min(1f, Math.max(0f, gray)) * 255f
                    : Math.min(255f, Math.max(0f, (gray + 1f) * 127.5f));
            out[i] = (byte) (int) level;
        }
        return out;
    }

    /** OpenCV's Canny(image, 100, 200) with its defaults (aperture 3, L1 gradient): 0 or 255 per pixel. */
    public static byte[] canny(byte[] gray, int h, int w) {
        Natives.ensure();
        Mat image = new Mat(h, w, CvType.CV_8UC1);
        Mat edges = new Mat();
        try {
            image.put(0, 0, gray);
            Imgproc.Canny(image, edges, LOW_THRESHOLD, HIGH_THRESHOLD);
            byte[] out = new byte[h * w];
            edges.get(0, 0, out);
            return out;
        } finally {
            image.release();
            edges.release();
        }
    }

    /** Edge pixels in each of rows x cols equal patches (the reference's 16 x 16 per low-res token). */
    static float[] perPatch(byte[] edges, int h, int w, int rows, int cols) {
        int ph = h / rows;
        int pw = w / cols;
        float[] score = new float[rows * cols];
        for (int y = 0; y < rows * ph; y++) {
            for (int x = 0; x < cols * pw; x++) {
                if (edges[y * w + x] != 0) {
                    score[(y / ph) * cols + x / pw]++;
                }
            }
        }
        return score;
    }
}
