package io.fluxfleet.sampling.ralu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.sampling.ToyVelocityModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.imgproc.Imgproc;

/**
 * Whole ralu-4x, ralu-5x and ralu-7x renders on a model with a closed-form velocity and a toy
 * decoder, checked call by call (ids in order, sigma, the state after every step) and at the end
 * against an independent transcription of ralu.md written here in plain loops (OpenCV's Canny
 * called directly, as the reference does), with the preset constants of ralu.md's table.
 *
 * <p>Mutations, each made once in the sampler and seen to fail here: pixel-split upsampling as
 * default; noise correlated inside a child instead of across the four children; stage 3's
 * re-noising blocks placed after the stage-2 children; r = 0.2 for ralu-7x; latent edge scoring
 * as default; the gray mapping (gray + 1) * 127.5; Canny's low threshold 25; x0 taken at the
 * stage's previous sigma (the estimate sent to the decoder is compared too).
 */
class RaluGoldenTrajectoryTest {

    /** A token of a stage sequence: its id (row, col) and its 64 values. */
    record Tok(float row, float col, float[] v) {}

    @Test
    void ralu4x() {
        golden(RaluPreset.ralu4x(), new int[] {5, 6, 7}, new double[] {0.3, 0.45}, new double[] {5.019, 2.589, 2.226},
                6.317, 0.3);
    }

    @Test
    void ralu5x() {
        golden(RaluPreset.ralu5x(), new int[] {4, 5, 6}, new double[] {0.3, 0.45}, new double[] {5.115, 2.642, 2.254},
                7.522, 0.2);
    }

    @Test
    void ralu7x() {
        golden(RaluPreset.ralu7x(), new int[] {2, 3, 5}, new double[] {0.2, 0.3}, new double[] {8.141, 2.856, 2.193},
                6.261, 0.1);
    }

    void golden(RaluPreset preset, int[] n, double[] e, double[] h, double z, double r) {
        LatentGrid grid = new LatentGrid(8, 12);
        int hl = 4;
        int wl = 6;
        long seed = 99;
        ToyVelocityModel.Recorder rec = new ToyVelocityModel.Recorder();
        List<float[]> decoded = new ArrayList<>();
        float[] noise;
        float[] result;
        try (NDManager m = NDManager.newBaseManager()) {
            SeededStreams random = new SeededStreams(seed);
            NDArray noiseTokens = random.normal("initial-noise", new Shape(1, grid.tokens(), 64), m);
            noise = noiseTokens.toFloatArray();
            // toy decoder: RGB = latent channels 0..2, each latent pixel an 8 x 8 block
            SamplingContext ctx = new SamplingContext(new ToyVelocityModel(), grid, noiseTokens, random, StepObserver.NONE,
                    m, latent -> {
                        decoded.add(latent.toFloatArray());
                        return latent.get(":, 0:3").repeat(2, 8).repeat(3, 8);
                    }).withTrace(rec);
            SamplingResult res = new RaluSampler(preset).sample(ctx);
            result = res.tokens().toFloatArray();
        }

        // stage 1: low-res token (r, c), slot ch*4 + dy*2 + dx = latent pixel (ch, 4r + 2dy, 4c + 2dx)
        List<Tok> seq = new ArrayList<>();
        for (int row = 0; row < hl; row++) {
            for (int col = 0; col < wl; col++) {
                float[] v = new float[64];
                for (int ch = 0; ch < 16; ch++) {
                    for (int d = 0; d < 4; d++) {
                        v[ch * 4 + d] = noise[((2 * row + d / 2) * 12 + 2 * col + d % 2) * 64 + ch * 4];
                    }
                }
                seq.add(new Tok(row, col, v));
            }
        }
        int[] call = {0};
        double start = 1;
        float[][] lastV = new float[1][];
        seq = runStage(seq, sigmas(start, 1 - e[0], n[0], h[0]), rec, call, lastV);

        // x0 = y - sigma_end v_last; decode (toy), gray, clip, Canny(100, 200), edges per 16 x 16 patch
        float sigmaEnd = (float) (1 - e[0]);
        float[] score = edgeCounts(seq, lastV[0], sigmaEnd, hl, wl);
        assertEquals(1, decoded.size(), "one mid-sampling decode");
        float[] x0 = decoded.get(0); // [16, 2hl, 2wl]: pixel (ch, Y, X) = token (Y/2, X/2), slot ch*4 + (Y%2)*2 + X%2
        for (int ch = 0; ch < 16; ch++) {
            for (int py = 0; py < 2 * hl; py++) {
                for (int px = 0; px < 2 * wl; px++) {
                    int token = (py / 2) * wl + px / 2;
                    int slot = ch * 4 + (py % 2) * 2 + px % 2;
                    float expected = seq.get(token).v()[slot] - lastV[0][token * 64 + slot] * sigmaEnd;
                    assertEquals(expected, x0[(ch * 2 * hl + py) * 2 * wl + px], 1e-5, "x0 sent to the decoder");
                }
            }
        }
        int k = (int) Math.floor(r * hl * wl);
        int[] rank = seededPermutation(new SeededStreams(seed).stream("ralu-edge-ties"), hl * wl);
        Integer[] order = new Integer[hl * wl];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> rank[i]));
        int[] chosen = Arrays.stream(order).limit(k).mapToInt(Integer::intValue).sorted().toArray();
        List<Tok> kept = new ArrayList<>();
        List<Tok> parents = new ArrayList<>();
        for (int i = 0; i < seq.size(); i++) {
            (Arrays.binarySearch(chosen, i) >= 0 ? parents : kept).add(seq.get(i));
        }
        List<Tok> stage2 = new ArrayList<>(kept);
        stage2.addAll(children(parents, 1));
        double c = 1 / (z * z);
        stage2 = renoise(stage2, kept.size(), parents.size(), e[0], z, c, new SeededStreams(seed).stream("ralu-renoise-1"));
        start = 1 - e[0] / ((1 - e[0]) * z + e[0]);
        seq = runStage(stage2, sigmas(start, 1 - e[1], n[1], h[1]), rec, call, lastV);

        // stage 3: [children of the low-res tokens, stage-2 children], ids doubled, re-noise, raster order
        List<Tok> low = seq.subList(0, kept.size());
        List<Tok> stage3 = new ArrayList<>(children(low, 2));
        for (Tok t : seq.subList(kept.size(), seq.size())) {
            stage3.add(new Tok(2 * t.row(), 2 * t.col(), t.v()));
        }
        stage3 = renoise(stage3, 0, low.size(), e[1], z, c, new SeededStreams(seed).stream("ralu-renoise-2"));
        stage3.sort(Comparator.<Tok>comparingDouble(Tok::row).thenComparingDouble(Tok::col));
        start = 1 - e[1] / ((1 - e[1]) * z + e[1]);
        seq = runStage(stage3, sigmas(start, 0, n[2], h[2]), rec, call, lastV);

        assertEquals(n[0] + n[1] + n[2], rec.ids.size());
        assertClose(seq, result, "final latent");
    }

    /** The four children of each token, token copies at (0, 0), (0, 1/2), (1/2, 0), (1/2, 1/2), ids times {@code scale}. */
    static List<Tok> children(List<Tok> parents, float scale) {
        List<Tok> out = new ArrayList<>();
        for (Tok p : parents) {
            for (int j = 0; j < 4; j++) {
                out.add(new Tok(scale * (p.row() + 0.5f * (j / 2)), scale * (p.col() + 0.5f * (j % 2)), p.v().clone()));
            }
        }
        return out;
    }

    /** y <- a y + b z; z = g + gamma sum(g) over the four children of a parent, per value; i.i.d. elsewhere. */
    static List<Tok> renoise(List<Tok> seq, int blockStart, int parents, double e, double z, double c,
            RandomGenerator rng) {
        float[][] g = new float[seq.size()][64];
        for (float[] token : g) {
            for (int v = 0; v < 64; v++) {
                token[v] = (float) rng.nextGaussian();
            }
        }
        double gamma = (-1 + Math.sqrt(1 - 4 * c)) / 4;
        float[][] noise = new float[seq.size()][];
        for (int t = 0; t < seq.size(); t++) {
            noise[t] = g[t].clone();
        }
        for (int p = 0; p < parents; p++) {
            int first = blockStart + 4 * p;
            for (int v = 0; v < 64; v++) {
                float sum = g[first][v] + g[first + 1][v] + g[first + 2][v] + g[first + 3][v];
                for (int j = 0; j < 4; j++) {
                    noise[first + j][v] = g[first + j][v] + (float) gamma * sum;
                }
            }
        }
        float a = (float) (1 / ((1 - e) * z + e));
        float b = (float) ((1 - e) * z / ((1 - e) * z + e));
        List<Tok> out = new ArrayList<>();
        for (int t = 0; t < seq.size(); t++) {
            float[] v = new float[64];
            for (int i = 0; i < 64; i++) {
                v[i] = a * seq.get(t).v()[i] + b * noise[t][i];
            }
            out.add(new Tok(seq.get(t).row(), seq.get(t).col(), v));
        }
        return out;
    }

    /** Euler over one stage, checking each call against the recorder. */
    static List<Tok> runStage(List<Tok> seq, double[] sigmas, ToyVelocityModel.Recorder rec, int[] call, float[][] lastV) {
        for (int i = 0; i + 1 < sigmas.length; i++) {
            int at = call[0]++;
            float[] ids = rec.ids.get(at);
            assertEquals(seq.size() * 3, ids.length, "tokens at call " + at);
            for (int t = 0; t < seq.size(); t++) {
                assertArrayEquals(new float[] {0, seq.get(t).row(), seq.get(t).col()},
                        new float[] {ids[3 * t], ids[3 * t + 1], ids[3 * t + 2]}, "call " + at + " token " + t);
            }
            float sigma = (float) sigmas[i];
            assertEquals(sigma, rec.sigmas.get(at), 1e-6, "sigma at call " + at);
            float dt = (float) sigmas[i + 1] - sigma;
            List<Tok> next = new ArrayList<>();
            float[] vAll = new float[seq.size() * 64];
            for (int t = 0; t < seq.size(); t++) {
                Tok tok = seq.get(t);
                float[] y = new float[64];
                for (int c = 0; c < 64; c++) {
                    float v = -0.6f * tok.v()[c] + (0.05f * tok.row() + -0.03f * tok.col()) + 0.2f * sigma;
                    vAll[t * 64 + c] = v;
                    y[c] = tok.v()[c] + v * dt;
                }
                next.add(new Tok(tok.row(), tok.col(), y));
            }
            seq = next;
            lastV[0] = vAll;
            assertClose(seq, rec.states.get(at), "state after call " + at);
        }
        return seq;
    }

    /** ralu.md's stage schedule: evenly spaced in u = s / (h - (h - 1) s), mapped back. */
    static double[] sigmas(double start, double end, int steps, double h) {
        double u0 = start / (h - (h - 1) * start);
        double u1 = end / (h - (h - 1) * end);
        double[] s = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            double u = u0 + (u1 - u0) * i / steps;
            s[i] = h * u / (1 + (h - 1) * u);
        }
        s[0] = start;
        s[steps] = end;
        return s;
    }

    static float[] edgeCounts(List<Tok> seq, float[] v, float sigmaEnd, int hl, int wl) {
        int height = 16 * hl;
        int width = 16 * wl;
        byte[] gray = new byte[height * width];
        for (int py = 0; py < height; py++) {
            for (int px = 0; px < width; px++) {
                // latent pixel (ch, py / 8, px / 8) of the low-res x0 = token (ly / 2, lx / 2), slot ch*4 + (ly%2)*2 + lx%2
                int ly = py / 8;
                int lx = px / 8;
                int token = (ly / 2) * wl + lx / 2;
                float[] rgb = new float[3];
                for (int ch = 0; ch < 3; ch++) {
                    int slot = ch * 4 + (ly % 2) * 2 + lx % 2;
                    rgb[ch] = seq.get(token).v()[slot] - v[token * 64 + slot] * sigmaEnd;
                }
                float g = 0.299f * rgb[0] + 0.587f * rgb[1] + 0.114f * rgb[2];
                gray[py * width + px] = (byte) (int) (Math.min(1f, Math.max(0f, g)) * 255f);
            }
        }
        nu.pattern.OpenCV.loadLocally();
        Mat image = new Mat(height, width, CvType.CV_8UC1);
        image.put(0, 0, gray);
        Mat edges = new Mat();
        Imgproc.Canny(image, edges, 100, 200);
        byte[] out = new byte[height * width];
        edges.get(0, 0, out);
        float[] counts = new float[hl * wl];
        for (int py = 0; py < height; py++) {
            for (int px = 0; px < width; px++) {
                if (out[py * width + px] != 0) {
                    counts[(py / 16) * wl + px / 16]++;
                }
            }
        }
        return counts;
    }

    /** rank: a Fisher-Yates permutation of 0..n-1 from the stream (i from n-1 down, j uniform in [0, i]). */
    static int[] seededPermutation(RandomGenerator rng, int n) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    static void assertClose(List<Tok> expected, float[] actual, String what) {
        double worst = 0;
        for (int t = 0; t < expected.size(); t++) {
            for (int c = 0; c < 64; c++) {
                worst = Math.max(worst, Math.abs(expected.get(t).v()[c] - actual[t * 64 + c]));
            }
        }
        assertEquals(0, worst, 1e-4, what + ": largest difference");
    }
}
