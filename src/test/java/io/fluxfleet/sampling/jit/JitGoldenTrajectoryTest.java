package io.fluxfleet.sampling.jit;

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
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Whole jit-7x and jit-4x renders on a model whose velocity has a closed form, checked step by
 * step (tokens sent, their order, sigma, full state) and at the end against {@link ReferenceJit},
 * an independent transcription of jit.md with the spec's constants (Beta(1.4, 0.425), w = 1/3).
 *
 * <p>Mutations, each made once in the sampler and seen to fail here: w = 1 as default; Beta 0.42;
 * ties to the lowest raster index instead of the earliest anchor; the blur with normalised zero
 * padding; replicate-padded importance; the transition's x0 lifted from the new anchors.
 */
class JitGoldenTrajectoryTest {

    static final double W = 1.0 / 3;

    @Test
    void jit7xFollowsTheSpecStepByStep() {
        // 40 x 48: the checkerboard plus border (609 cells) is below floor(0.32 N) = 614: seeded top-up
        golden(JitPreset.jit7x(), new LatentGrid(40, 48), 11, new double[] {0.32, 0.60, 1.0});
    }

    @Test
    void jit4xFollowsTheSpecStepByStep() {
        // 20 x 24: the pattern (183 cells) exceeds floor(0.35 N) = 168: a seeded permutation's first 168
        golden(JitPreset.jit4x(), new LatentGrid(20, 24), 18, new double[] {0.35, 0.62, 1.0});
    }

    void golden(JitPreset preset, LatentGrid grid, int steps, double[] densities) {
        long seed = 4242;
        int h = grid.rows();
        int w = grid.cols();
        int n = grid.tokens();
        ToyVelocityModel.Recorder rec = new ToyVelocityModel.Recorder();
        float[] noise;
        float[] result;
        try (NDManager m = NDManager.newBaseManager()) {
            SeededStreams random = new SeededStreams(seed);
            NDArray noiseTokens = random.normal("initial-noise", new Shape(1, n, 64), m);
            noise = noiseTokens.toFloatArray();
            SamplingResult r = new JitSampler(preset).sample(
                    new SamplingContext(new ToyVelocityModel(), grid, noiseTokens, random, StepObserver.NONE, m).withTrace(rec));
            result = r.tokens().toFloatArray();
        }

        ReferenceJit ref = new ReferenceJit(h, w);
        double[] s = ReferenceJit.sigmas(steps, 1.4, 0.425);
        int[] starts = {0, (int) Math.floor(0.40 * steps), (int) Math.floor(0.65 * steps)};
        SeededStreams random = new SeededStreams(seed);
        List<Integer> anchors = ref.initialAnchors((int) Math.floor(densities[0] * n), random.stream("jit-anchors"));
        RandomGenerator epsStream = random.stream("jit-transition-noise");
        double[][] eps = new double[n][64];
        for (double[] token : eps) {
            for (int c = 0; c < 64; c++) {
                token[c] = (float) epsStream.nextGaussian();
            }
        }
        double[][] y = new double[n][64];
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < 64; c++) {
                y[t][c] = noise[t * 64 + c];
            }
        }
        double[][] yPrev = null;
        double[][] vPrev = null;
        for (int i = 0; i < steps; i++) {
            int stage = i >= starts[2] ? 2 : i >= starts[1] ? 1 : 0;
            if (i > 0 && i == starts[stage]) {
                int count = stage == 2 ? n : (int) Math.floor(densities[stage] * n);
                List<Integer> joined = new ArrayList<>(ref.topK(anchors, ref.importance(vPrev), count));
                double[][] x0 = new double[anchors.size()][64];
                for (int a = 0; a < anchors.size(); a++) {
                    for (int c = 0; c < 64; c++) {
                        x0[a][c] = yPrev[anchors.get(a)][c] - s[i - 1] * vPrev[anchors.get(a)][c];
                    }
                }
                double[][] x0Lifted = ref.lift(x0, anchors); // from the OLD anchors
                for (int t : joined) {
                    for (int c = 0; c < 64; c++) {
                        double target = (1 - s[i]) * x0Lifted[t][c] + s[i] * eps[t][c];
                        y[t][c] = (1 - W) * y[t][c] + W * target;
                    }
                }
                anchors.addAll(joined);
            }
            // the call: anchors in list order at their true positions (the full stage: raster order)
            float[] ids = rec.ids.get(i);
            assertEquals(anchors.size() * 3, ids.length, "tokens sent at step " + i);
            List<Integer> order = anchors.size() == n ? java.util.stream.IntStream.range(0, n).boxed().toList() : anchors;
            for (int a = 0; a < order.size(); a++) {
                assertArrayEquals(new float[] {0, order.get(a) / w, order.get(a) % w},
                        new float[] {ids[3 * a], ids[3 * a + 1], ids[3 * a + 2]}, "step " + i + " token " + a);
            }
            assertEquals(s[i], rec.sigmas.get(i), 1e-6, "sigma at step " + i);
            double[][] sent = new double[anchors.size()][64];
            for (int a = 0; a < anchors.size(); a++) {
                int t = anchors.get(a);
                for (int c = 0; c < 64; c++) {
                    sent[a][c] = ToyVelocityModel.velocity(y[t][c], t / w, t % w, (float) s[i]);
                }
            }
            double[][] v = anchors.size() == n ? scatter(sent, anchors, n) : ref.lift(sent, anchors);
            yPrev = y;
            vPrev = v;
            double[][] next = new double[n][64];
            for (int t = 0; t < n; t++) {
                for (int c = 0; c < 64; c++) {
                    next[t][c] = y[t][c] + (s[i + 1] - s[i]) * v[t][c];
                }
            }
            y = next;
            assertClose(y, rec.states.get(i), "state after step " + i);
        }
        assertEquals(steps, rec.states.size());
        assertClose(y, result, "final latent");
    }

    static double[][] scatter(double[][] sent, List<Integer> anchors, int n) {
        double[][] out = new double[n][];
        for (int a = 0; a < anchors.size(); a++) {
            out[anchors.get(a)] = sent[a];
        }
        return out;
    }

    static void assertClose(double[][] expected, float[] actual, String what) {
        double worst = 0;
        for (int t = 0; t < expected.length; t++) {
            for (int c = 0; c < 64; c++) {
                worst = Math.max(worst, Math.abs(expected[t][c] - actual[t * 64 + c]));
            }
        }
        assertEquals(0, worst, 2e-4, what + ": largest difference");
    }
}
