package io.fluxfleet.sampling.ralu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.DenoisingModel;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaluSamplerTest {

    /** Our latent edge score: these tests run without a VAE. */
    static final RaluPreset.Variant LATENT = new RaluPreset.Variant(RaluPreset.EdgeScoring.LATENT_SOBEL,
            RaluPreset.GrayMapping.CLIPPED, RaluPreset.Upsampling.TOKEN_COPY);

    /** Records every call's token count and ids; velocity is a cheap deterministic function. */
    static final class RecordingModel implements DenoisingModel {
        final List<Long> tokens = new ArrayList<>();
        final List<float[]> ids = new ArrayList<>();

        @Override
        public NDArray velocity(NDArray t, NDArray i, float sigma) {
            tokens.add(t.getShape().get(1));
            ids.add(i.toFloatArray());
            return t.mul(0.8f).add(i.sum(new int[] {2}, true).mul(0.01f));
        }

        @Override
        public long tokenEvaluations() {
            return tokens.stream().mapToLong(Long::longValue).sum();
        }
    }

    static SamplingResult run(RaluSampler s, DenoisingModel model, LatentGrid grid, long seed, NDManager m) {
        SeededStreams r = new SeededStreams(seed);
        NDArray noise = grid.pack(r.normal("initial-noise", new Shape(1, 16, 2L * grid.rows(), 2L * grid.cols()), m));
        return s.sample(new SamplingContext(model, grid, noise, r, StepObserver.NONE, m));
    }

    @Test
    void stageScheduleMatchesIndependentValues() {
        RaluPreset p = RaluPreset.ralu5x();
        float[][] s = RaluSchedule.allStages(p);
        assertEquals(5, s[0].length);
        assertEquals(1f, s[0][0]);
        assertEquals(0.70f, s[0][4], 1e-6); // ends at 1 - e1
        // stage 2 restarts at t' = e / ((1 - e) Z + e) = 0.3 / (0.7 * 7.522 + 0.3)
        double restart = 0.3 / (0.7 * 7.522 + 0.3);
        assertEquals(1 - restart, s[1][0], 1e-6);
        assertEquals(0.55f, s[1][5], 1e-6);
        assertEquals(0f, s[2][6]);
        // an interior point by hand: u = s / (h - (h - 1) s), h = 5.115; evenly spaced in u
        double h = 5.115;
        double u0 = 1 / (h - (h - 1));
        double u1 = 0.7 / (h - (h - 1) * 0.7);
        double u = u0 + (u1 - u0) * 2 / 4;
        assertEquals(h * u / (1 + (h - 1) * u), s[0][2], 1e-6);
        for (float[] stage : s) {
            for (int i = 1; i < stage.length; i++) {
                assertTrue(stage[i] < stage[i - 1]);
            }
        }
    }

    @Test
    void tokensAndIdsFollowTheStages() {
        LatentGrid grid = LatentGrid.forImage(256, 192); // 12 x 16 tokens, low-res 6 x 8 = 48
        RaluPreset p = RaluPreset.ralu7x().withVariant(LATENT);
        try (NDManager m = NDManager.newBaseManager()) {
            RecordingModel model = new RecordingModel();
            SamplingResult r = run(new RaluSampler(p), model, grid, 5, m);
            int k = (int) Math.floor(0.1 * 48); // 4 upsampled early (r = 0.1)
            List<Long> expected = new ArrayList<>();
            for (long[] st : new long[][] {{2, 48}, {3, 48 + 3L * k}, {5, 192}}) {
                for (int i = 0; i < st[0]; i++) {
                    expected.add(st[1]);
                }
            }
            assertEquals(expected, model.tokens);
            assertEquals(List.of(new SamplingResult.Stage(2, 48), new SamplingResult.Stage(3, 48 + 3 * k),
                    new SamplingResult.Stage(5, 192)), r.stages());

            float[] stage2 = model.ids.get(2);
            int halfOffsets = 0;
            for (int t = 0; t < stage2.length / 3; t++) {
                float row = stage2[t * 3 + 1];
                float col = stage2[t * 3 + 2];
                boolean half = row != Math.floor(row) || col != Math.floor(col);
                halfOffsets += half ? 1 : 0;
                if (t < 48 - k) {
                    assertFalse(half, "low-resolution tokens come first, at integer ids");
                }
            }
            assertEquals(3 * k, halfOffsets, "three of each four children sit at half offsets");
            // children of one parent: (r, c), (r, c + 1/2), (r + 1/2, c), (r + 1/2, c + 1/2)
            int first = 48 - k;
            float r0 = stage2[first * 3 + 1];
            float c0 = stage2[first * 3 + 2];
            assertArrayEquals(new float[] {r0, c0, r0, c0 + 0.5f, r0 + 0.5f, c0, r0 + 0.5f, c0 + 0.5f},
                    new float[] {stage2[first * 3 + 1], stage2[first * 3 + 2], stage2[first * 3 + 4],
                        stage2[first * 3 + 5], stage2[first * 3 + 7], stage2[first * 3 + 8], stage2[first * 3 + 10],
                        stage2[first * 3 + 11]});
            float[] stage3 = model.ids.get(model.ids.size() - 1);
            assertArrayEquals(grid.ids(m).toFloatArray(), stage3, "integer ids in raster order");
            assertEquals(new Shape(1, 192, 64), r.tokens().getShape());
        }
    }

    @Test
    void seededDeterminismAndOddGridsRejected() {
        LatentGrid grid = LatentGrid.forImage(128, 128);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] a = run(new RaluSampler(RaluPreset.ralu5x().withVariant(LATENT)), new RecordingModel(), grid, 7, m).tokens().toFloatArray();
            float[] b = run(new RaluSampler(RaluPreset.ralu5x().withVariant(LATENT)), new RecordingModel(), grid, 7, m).tokens().toFloatArray();
            float[] c = run(new RaluSampler(RaluPreset.ralu5x().withVariant(LATENT)), new RecordingModel(), grid, 8, m).tokens().toFloatArray();
            assertArrayEquals(a, b, 0f);
            assertFalse(java.util.Arrays.equals(a, c));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> run(new RaluSampler(RaluPreset.ralu5x().withVariant(LATENT)), new RecordingModel(), LatentGrid.forImage(144, 128), 1, m));
            assertTrue(e.getMessage().contains("multiples of 32"));
        }
    }

    @Test
    void schnellBudgetAndPresetValidation() {
        RaluPreset s = RaluPreset.ralu7x().forDistilled();
        assertArrayEquals(new int[] {1, 1, 2}, s.steps());
        assertThrows(IllegalArgumentException.class, () -> new RaluPreset("x", new int[] {2, 2, 2},
                new double[] {0.4, 0.3, 1}, new double[] {2, 2, 2}, 6, 0.2, RaluPreset.Variant.REFERENCE));
        assertThrows(IllegalArgumentException.class, () -> new RaluPreset("x", new int[] {2, 2, 2},
                new double[] {0.2, 0.3, 1}, new double[] {2, 2, 2}, 1.5, 0.2, RaluPreset.Variant.REFERENCE));
        assertThrows(IllegalArgumentException.class, () -> new RaluPreset("x", new int[] {2, 2, 2},
                new double[] {0.2, 0.3, 1}, new double[] {20, 2, 2}, 6, 0.2, RaluPreset.Variant.REFERENCE));
    }

    @Test
    void latentEdgeScoreFindsTheEdge() {
        try (NDManager m = NDManager.newBaseManager()) {
            // a vertical step between latent columns 3 and 4 of an 8 x 8 latent: token column 1|2
            float[] img = new float[16 * 8 * 8];
            for (int ch = 0; ch < 16; ch++) {
                for (int r = 0; r < 8; r++) {
                    for (int c = 4; c < 8; c++) {
                        img[ch * 64 + r * 8 + c] = 1;
                    }
                }
            }
            float[] score = EdgeScore.latent(m.create(img, new Shape(1, 16, 8, 8)));
            assertEquals(16, score.length); // 4 x 4 tokens
            for (int r = 0; r < 4; r++) {
                assertTrue(score[r * 4 + 1] > 0 && score[r * 4 + 2] > 0);
                assertEquals(0f, score[r * 4], 1e-6);
                assertEquals(0f, score[r * 4 + 3], 1e-6);
            }
        }
    }

}
