package io.fluxfleet.sampling.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.FluxDenoiser;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.sampling.DenoisingModel;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.tensor.ComputePolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JitSamplerTest {

    static final FluxConfig TINY = new FluxConfig(64, 64, 2, 128, 1, 2, new int[] {4, 14, 14}, 10000, 24, 16, true);

    /** A real (tiny, random-weight) transformer bound to random text conditioning. */
    static FluxDenoiser denoiser(NDManager m, FluxTransformer t) {
        SeededStreams r = new SeededStreams(77);
        return new FluxDenoiser(t, r.normal("txt", new Shape(1, 4, TINY.contextDim()), m),
                r.normal("pooled", new Shape(1, TINY.vecDim()), m), 3.5f);
    }

    static FluxTransformer transformer() {
        return new FluxTransformer(Weights.fromHost(RandomWeights.generate(TINY.spec(), 5), Device.cpu(),
                DataType.FLOAT32), TINY, ComputePolicy.cpu());
    }

    static SamplingResult run(io.fluxfleet.sampling.Sampler s, DenoisingModel model, LatentGrid grid, long seed,
            NDManager m) {
        SeededStreams r = new SeededStreams(seed);
        NDArray noise = grid.pack(r.normal("initial-noise", new Shape(1, 16, 2L * grid.rows(), 2L * grid.cols()), m));
        return s.sample(new SamplingContext(model, grid, noise, r, StepObserver.NONE, m));
    }

    @Test
    void oneFullStageEqualsEulerOnTheSameSigmas() {
        JitPreset one = new JitPreset("one", 5, new int[] {0}, new double[] {1.0}, 1.4, 0.42, 1.0, JitPreset.ImportancePadding.ZERO, JitPreset.BlurPadding.REFLECT);
        JitSampler jit = new JitSampler(one);
        LatentGrid grid = new LatentGrid(4, 5);
        try (FluxTransformer t = transformer(); NDManager m = NDManager.newBaseManager()) {
            float[] a = run(jit, denoiser(m, t), grid, 3, m).tokens().toFloatArray();
            float[] b = run(new EulerSampler(jit.sigmas()), denoiser(m, t), grid, 3, m).tokens().toFloatArray();
            assertArrayEquals(b, a, 1e-6f);
        }
    }

    @Test
    void liftKeepsAnchorsExactAndConstantsConstant() {
        LatentGrid grid = new LatentGrid(12, 10);
        AnchorSet anchors = AnchorSet.initial(grid, 40, new SeededStreams(4).stream("a"));
        try (NDManager m = NDManager.newBaseManager(); StageLift lift = new StageLift(anchors, m)) {
            NDArray values = new SeededStreams(5).normal("v", new Shape(1, anchors.size(), 64), m);
            NDArray full = lift.lift(values);
            assertEquals(new Shape(1, grid.tokens(), 64), full.getShape());
            assertArrayEquals(values.toFloatArray(), lift.gather(full).toFloatArray(), 0f);
            NDArray constant = m.full(new Shape(1, anchors.size(), 64), 2.5f);
            float[] lifted = lift.lift(constant).toFloatArray();
            for (float v : lifted) {
                assertEquals(2.5f, v, 1e-5f);
            }
            assertEquals(1.0, lift.blurSigma()); // 0.4 / sqrt(40/120) < 1: clamped
            assertEquals(7, lift.kernelSize());
            // a non-anchor between anchors gets a value inside their range (interpolation, not zero)
            float[] f = full.toFloatArray();
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            for (float v : values.toFloatArray()) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            for (float v : f) {
                assertTrue(v >= min - 1e-5 && v <= max + 1e-5);
            }
        }
    }

    @Test
    void transitionTargetHasTheNoiseLevelOfTheNewStep() {
        LatentGrid grid = new LatentGrid(64, 64);
        int n = grid.tokens();
        try (NDManager m = NDManager.newBaseManager()) {
            AnchorSet old = AnchorSet.initial(grid, 1310, new SeededStreams(1).stream("a"));
            float[] importance = new float[n];
            for (int i = 0; i < n; i++) {
                importance[i] = (i * 7919) % n; // any fixed ranking
            }
            AnchorSet grown = old.grow(2457, importance);
            int[] added = grown.minus(old);
            assertEquals(2457 - 1310, added.length);
            float sigma = 0.7f;
            NDArray zeros = m.zeros(new Shape(1, n, 64));
            for (double w : new double[] {1.0, 1.0 / 3}) {
                JitSampler s = new JitSampler(JitPreset.jit7x().withBlendWeight(w));
                SamplingContext ctx = new SamplingContext(null, grid, zeros, new SeededStreams(8), StepObserver.NONE, m);
                NDArray y = m.full(new Shape(1, n, 64), 0f);
                try (StageLift lift = new StageLift(old, m)) {
                    // x0_hat = y_prev - sigma_prev v_prev = 0: the new tokens' target is sigma * eps
                    NDArray moved = s.transition(ctx, lift, added, y, zeros, zeros, 0.8f, sigma);
                    float[] v = moved.toFloatArray();
                    double sum2 = 0;
                    int count = 0;
                    boolean[] isNew = new boolean[n];
                    for (int t : added) {
                        isNew[t] = true;
                    }
                    for (int t = 0; t < n; t++) {
                        for (int c = 0; c < 64; c++) {
                            float x = v[t * 64 + c];
                            if (isNew[t]) {
                                sum2 += x * x;
                                count++;
                            } else {
                                assertEquals(0f, x, "tokens outside R are untouched");
                            }
                        }
                    }
                    double std = Math.sqrt(sum2 / count);
                    assertEquals(w * sigma, std, 0.02 * w * sigma, "w=" + w);
                }
            }
        }
    }

    static double[][] toRows(float[] flat, int rows) {
        double[][] out = new double[rows][64];
        for (int t = 0; t < rows; t++) {
            for (int c = 0; c < 64; c++) {
                out[t][c] = flat[t * 64 + c];
            }
        }
        return out;
    }

    static List<Integer> list(int[] indices) {
        List<Integer> out = new ArrayList<>();
        for (int i : indices) {
            out.add(i);
        }
        return out;
    }

    /**
     * Every cell of the lift equals ReferenceJit's (nearest fill, 2-D Gaussian over the
     * reflect-padded grid, anchors exact), on random values and a grid small enough that the
     * 7-wide kernel reaches over two borders. Mutations: no blur (filled values where the blur
     * goes) failed; normalised zero padding as the default failed; a kernel radius of 2 failed.
     */
    @Test
    void liftMatchesTheSpecCellByCell() {
        LatentGrid grid = new LatentGrid(9, 7);
        AnchorSet anchors = AnchorSet.initial(grid, 20, new SeededStreams(8).stream("a"));
        ReferenceJit ref = new ReferenceJit(9, 7);
        try (NDManager m = NDManager.newBaseManager(); StageLift lift = new StageLift(anchors, m)) {
            NDArray values = new SeededStreams(9).normal("v", new Shape(1, anchors.size(), 64), m);
            float[] got = lift.lift(values).toFloatArray();
            double[][] expected = ref.lift(toRows(values.toFloatArray(), anchors.size()), list(anchors.indices()));
            for (int t = 0; t < grid.tokens(); t++) {
                for (int c = 0; c < 64; c++) {
                    assertEquals(expected[t][c], got[t * 64 + c], 1e-5, "cell " + t + " value " + c);
                }
            }
        }
    }

    /**
     * The transition on non-zero y, y_prev and v_prev against the spec written out here: x0 lifted
     * from the OLD anchors, target (1 - sigma) x0 + sigma eps, blend (1 - w) y + w target on the new
     * tokens only, for w = 1/3 (default) and 1. Mutations: target without the x0 term failed;
     * (1 - w) y dropped failed; sigma_prev replaced by sigma in x0 failed.
     */
    @Test
    void transitionMatchesTheSpecOnNonZeroStates() {
        LatentGrid grid = new LatentGrid(8, 9);
        int n = grid.tokens();
        ReferenceJit ref = new ReferenceJit(8, 9);
        try (NDManager m = NDManager.newBaseManager()) {
            AnchorSet old = AnchorSet.initial(grid, 25, new SeededStreams(2).stream("a"));
            float[] importance = new float[n];
            for (int i = 0; i < n; i++) {
                importance[i] = (i * 13) % 17;
            }
            AnchorSet grown = old.grow(45, importance);
            int[] added = grown.minus(old);
            SeededStreams r = new SeededStreams(31);
            NDArray y = r.normal("y", new Shape(1, n, 64), m);
            NDArray yPrev = r.normal("yPrev", new Shape(1, n, 64), m);
            NDArray vPrev = r.normal("vPrev", new Shape(1, n, 64), m);
            float sigmaPrev = 0.9f;
            float sigma = 0.8f;
            double[][] yv = toRows(y.toFloatArray(), n);
            double[][] yp = toRows(yPrev.toFloatArray(), n);
            double[][] vp = toRows(vPrev.toFloatArray(), n);
            double[][] x0 = new double[old.size()][64];
            int[] oldList = old.indices();
            for (int a = 0; a < oldList.length; a++) {
                for (int c = 0; c < 64; c++) {
                    x0[a][c] = yp[oldList[a]][c] - sigmaPrev * vp[oldList[a]][c];
                }
            }
            double[][] x0Lifted = ref.lift(x0, list(oldList));
            org.apache.commons.math3.random.RandomGenerator epsStream = new SeededStreams(5)
                    .stream(JitSampler.TRANSITION_NOISE_STREAM);
            double[][] eps = new double[n][64];
            for (double[] token : eps) {
                for (int c = 0; c < 64; c++) {
                    token[c] = (float) epsStream.nextGaussian();
                }
            }
            java.util.Set<Integer> isNew = new java.util.HashSet<>(list(added));
            for (double w : new double[] {1.0 / 3, 1.0}) {
                JitSampler s = new JitSampler(JitPreset.jit7x().withBlendWeight(w));
                SamplingContext ctx = new SamplingContext(null, grid, y, new SeededStreams(5), StepObserver.NONE, m);
                try (StageLift lift = new StageLift(old, m)) {
                    float[] got = s.transition(ctx, lift, added, y, yPrev, vPrev, sigmaPrev, sigma).toFloatArray();
                    for (int t = 0; t < n; t++) {
                        for (int c = 0; c < 64; c++) {
                            double expected = !isNew.contains(t) ? yv[t][c]
                                    : (1 - w) * yv[t][c] + w * ((1 - sigma) * x0Lifted[t][c] + sigma * eps[t][c]);
                            assertEquals(expected, got[t * 64 + c], 1e-5, "w=" + w + " token " + t);
                        }
                    }
                }
            }
        }
    }

    /** Counts the tokens of every model call; velocity is a cheap deterministic function. */
    static final class CountingModel implements DenoisingModel {
        final List<Long> perCall = new ArrayList<>();

        @Override
        public NDArray velocity(NDArray tokens, NDArray ids, float sigma) {
            perCall.add(tokens.getShape().get(1));
            return tokens.mul(0.5f).add(ids.sum(new int[] {2}, true).mul(0.01f));
        }

        @Override
        public long tokenEvaluations() {
            return perCall.stream().mapToLong(Long::longValue).sum();
        }
    }

    @Test
    void tokensPerCallFollowThePresetAt1024() {
        LatentGrid grid = LatentGrid.forImage(1024, 1024);
        try (NDManager m = NDManager.newBaseManager()) {
            CountingModel model = new CountingModel();
            SamplingResult r = run(new JitSampler(JitPreset.jit7x()), model, grid, 1, m);
            List<Long> expected = new ArrayList<>();
            for (long[] s : new long[][] {{4, 1310}, {3, 2457}, {4, 4096}}) {
                for (int i = 0; i < s[0]; i++) {
                    expected.add(s[1]);
                }
            }
            assertEquals(expected, model.perCall);
            assertEquals(List.of(new SamplingResult.Stage(4, 1310), new SamplingResult.Stage(3, 2457),
                    new SamplingResult.Stage(4, 4096)), r.stages());
            assertEquals(28995, r.tokenEvaluations());
        }
    }

    @Test
    void worksAtOtherResolutions() {
        LatentGrid grid = LatentGrid.forImage(768, 320); // 20 x 48 tokens
        try (NDManager m = NDManager.newBaseManager()) {
            CountingModel model = new CountingModel();
            SamplingResult r = run(new JitSampler(JitPreset.jit4x()), model, grid, 1, m);
            assertEquals(new Shape(1, 960, 64), r.tokens().getShape());
            assertEquals((long) Math.floor(0.35 * 960), model.perCall.get(0));
            assertEquals(960L, model.perCall.get(model.perCall.size() - 1));
            assertTrue(r.tokens().isNaN().none().getBoolean());
        }
    }

    @Test
    void sameSeedSameResultAcrossInstancesOtherSeedDiffers() {
        LatentGrid grid = new LatentGrid(6, 6);
        JitPreset preset = new JitPreset("t", 6, new int[] {0, 2, 4}, new double[] {0.4, 0.7, 1.0}, 1.4, 0.42, 1.0,
                JitPreset.ImportancePadding.ZERO, JitPreset.BlurPadding.REFLECT);
        float[] a;
        float[] b;
        float[] c;
        // two "workers": separate transformer instances and managers, same weights file content
        try (FluxTransformer t1 = transformer(); NDManager m = NDManager.newBaseManager()) {
            a = run(new JitSampler(preset), denoiser(m, t1), grid, 21, m).tokens().toFloatArray();
            c = run(new JitSampler(preset), denoiser(m, t1), grid, 22, m).tokens().toFloatArray();
        }
        try (FluxTransformer t2 = transformer(); NDManager m = NDManager.newBaseManager()) {
            b = run(new JitSampler(preset), denoiser(m, t2), grid, 21, m).tokens().toFloatArray();
        }
        assertArrayEquals(a, b, 0f);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void importancePaddingIsSelectable() {
        LatentGrid grid = new LatentGrid(5, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray constant = m.full(new Shape(1, 25, 64), 3f);
            NDArray ramp = m.arange(25f).reshape(1, 25, 1).repeat(2, 64);
            float[] replicate = Importance.compute(constant, grid, JitPreset.ImportancePadding.REPLICATE);
            for (float v : replicate) {
                assertEquals(0f, v, "a constant field has no local variance with replicated edges");
            }
            float[] zero = Importance.compute(constant, grid, JitPreset.ImportancePadding.ZERO);
            assertEquals(1f, zero[0], 1e-6); // zero padding makes the corner look busiest
            assertEquals(0f, zero[12], 1e-6);
            float[] rampImportance = Importance.compute(ramp, grid, JitPreset.ImportancePadding.REPLICATE);
            assertEquals(25, rampImportance.length);
        }
    }
}
