package io.fluxfleet.sampling.ralu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import org.junit.jupiter.api.Test;

/** RALU's re-noising covariance, token-copy upsampling, and the Canny edge score on hand-made images. */
class RaluNoiseAndEdgesTest {

    /** Mean of z[token a, value v] z[token b, value v + offset] over all blocks and all 64 v. */
    static double cov(float[] z, int tokenA, int tokenB, int valueOffset, int blockTokens, int blocks, int firstToken) {
        double s = 0;
        for (int p = 0; p < blocks; p++) {
            int base = firstToken + p * blockTokens;
            for (int v = 0; v < 64; v++) {
                s += z[(base + tokenA) * 64 + v] * (double) z[(base + tokenB) * 64 + (v + valueOffset) % 64];
            }
        }
        return s / blocks / 64;
    }

    /**
     * On zeros the re-noised state is b z, z ~ N(0, I - cB) with B all-ones over the four CHILD
     * TOKENS of a parent, per value index: checked for every pair of children and against
     * neighbouring value indices, neighbouring parents and the plain tokens before the blocks.
     * Mutation: correlating the four slots inside one child instead failed.
     */
    @Test
    void renoiseCorrelatesTheFourChildrenOfAParentPerValue() {
        RaluPreset p = RaluPreset.ralu4x();
        RaluSampler s = new RaluSampler(p);
        double e = 0.3;
        double b = RaluSchedule.noiseScale(e, p.z());
        double c = p.c();
        int plain = 4000;
        int parents = 4000;
        try (NDManager m = NDManager.newBaseManager()) {
            SamplingContext ctx = new SamplingContext(null, new LatentGrid(2, 2), null, new SeededStreams(3),
                    StepObserver.NONE, m);
            NDArray zeros = m.zeros(new Shape(1, plain + 4L * parents, 64));
            float[] z = s.renoise(ctx, 1, zeros, new RaluSampler.Blocks(plain, parents), e).toFloatArray();
            double tol = 0.008 * b * b; // about 4 standard errors of 64 x 4000 products
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 4; k++) {
                    double expected = b * b * ((j == k ? 1 : 0) - c);
                    assertEquals(expected, cov(z, j, k, 0, 4, parents, plain), tol, "children " + j + "," + k);
                }
            }
            // other value index of the same tokens, neighbouring parents: uncorrelated
            assertEquals(0, cov(z, 0, 1, 1, 4, parents, plain), tol, "across value indices");
            assertEquals(0, cov(z, 3, 4, 0, 4, parents - 1, plain), tol, "last child / next parent's first");
            // plain tokens: i.i.d. with variance b^2
            assertEquals(b * b, cov(z, 0, 0, 0, 2, plain / 2, 0), 0.02 * b * b);
            assertEquals(0, cov(z, 0, 1, 0, 2, plain / 2, 0), tol, "neighbouring plain tokens");
        }
    }

    /**
     * Pure noise at the stage end (std 1 - e), token-copied and re-noised, is i.i.d. with std sigma
     * at the new start: the correlated noise exactly cancels the copies' correlation. (Mutation:
     * flipping gamma's sign failed here and in the per-value correlation test.)
     */
    @Test
    void upsampledNoiseBecomesIndependentAtTheNewStartSigma() {
        RaluPreset p = RaluPreset.ralu7x();
        RaluSampler s = new RaluSampler(p);
        double e = 0.2;
        int parents = 4000;
        try (NDManager m = NDManager.newBaseManager()) {
            SamplingContext ctx = new SamplingContext(null, new LatentGrid(2, 2), null, new SeededStreams(3),
                    StepObserver.NONE, m);
            NDArray parentsNoise = new SeededStreams(4).normal("n", new Shape(1, parents, 64), m).mul((float) (1 - e));
            NDArray copies = s.upsample(parentsNoise);
            float[] up = copies.toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(up, 0, 64), java.util.Arrays.copyOfRange(up, 192, 256), 0f,
                    "token copy: the fourth child is the whole parent token");
            float[] y = s.renoise(ctx, 1, copies, new RaluSampler.Blocks(0, parents), e).toFloatArray();
            double sigma = 1 - RaluSchedule.restartT(e, p.z());
            assertEquals(sigma * sigma, cov(y, 1, 1, 0, 4, parents, 0), 0.02 * sigma * sigma);
            assertEquals(0, cov(y, 0, 3, 0, 4, parents, 0), 0.008 * sigma * sigma);
        }
    }

    /** A 32 x 32 gray image, 0 left of column 16 and {@code level} from it on. */
    static byte[] step(int level) {
        byte[] img = new byte[32 * 32];
        for (int y = 0; y < 32; y++) {
            for (int x = 16; x < 32; x++) {
                img[y * 32 + x] = (byte) level;
            }
        }
        return img;
    }

    /**
     * Hand-derived OpenCV semantics: a step of L levels gives |Sobel_x| = 4 L on the two columns
     * beside it and 0 elsewhere; non-maximum suppression keeps the left one (m > left, m >= right);
     * it is an edge iff 4 L > 200 (a strong seed). So L = 60 (240) marks column 15 on every row,
     * L = 30 (120: above the low threshold only, no seed) marks nothing. (Mutation:
     * thresholds divided by 4, BoofCV's scale, failed the L = 30 case.)
     */
    @Test
    void cannyOnHandMadeSteps() {
        for (int level : new int[] {255, 60}) {
            byte[] edges = ImageEdgeScore.canny(step(level), 32, 32);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    assertEquals(x == 15 ? -1 : 0, edges[y * 32 + x], "level " + level + " at " + x + "," + y);
                }
            }
            // 16 x 16 patches: the edge column lies in the left patches, 16 pixels each
            assertArrayEquals(new float[] {16, 0, 16, 0}, ImageEdgeScore.perPatch(edges, 32, 32, 2, 2));
        }
        for (byte b : ImageEdgeScore.canny(step(30), 32, 32)) {
            assertEquals(0, b);
        }
    }

    /**
     * The reference's gray: 0.299 R + 0.587 G + 0.114 B on the decoder output, clip(0, 1) * 255,
     * truncated; full-range option (gray + 1) * 127.5. Hand values: 0.5 -> 127 / 191, -0.5 -> 0 /
     * 63, 1.2 (unclamped decoder output) -> 255 / 255, and R = 1, G = B = 0 -> 76 / 165.
     * Mutation: rounding instead of truncation failed.
     */
    @Test
    void grayMappingFollowsTheReference() {
        float[] rgb = {0.5f, -0.5f, 1.2f, 1f, 0.5f, -0.5f, 1.2f, 0f, 0.5f, -0.5f, 1.2f, 0f}; // 3 planes of 4 pixels
        byte[] clipped = ImageEdgeScore.gray8(rgb, 1, 4, RaluPreset.GrayMapping.CLIPPED);
        byte[] full = ImageEdgeScore.gray8(rgb, 1, 4, RaluPreset.GrayMapping.FULL_RANGE);
        assertArrayEquals(new int[] {127, 0, 255, 76}, unsigned(clipped));
        assertArrayEquals(new int[] {191, 63, 255, 165}, unsigned(full));
    }

    static int[] unsigned(byte[] b) {
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 255;
        }
        return out;
    }
}
