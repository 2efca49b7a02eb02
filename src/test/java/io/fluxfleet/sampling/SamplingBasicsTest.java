package io.fluxfleet.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.sampling.euler.FluxSchedule;
import java.util.List;
import org.junit.jupiter.api.Test;

class SamplingBasicsTest {

    @Test
    void devScheduleShiftsByResolution() {
        // mu = 0.5 at 256 tokens and 1.15 at 4096; sigma' = 1 / (1 + e^-mu (1/sigma - 1))
        assertEquals(0.5, FluxSchedule.mu(256), 1e-12);
        assertEquals(1.15, FluxSchedule.mu(4096), 1e-12);
        float[] s = FluxSchedule.sigmas(4, 4096, true);
        assertEquals(5, s.length);
        assertEquals(1f, s[0]);
        assertEquals(0f, s[4]);
        assertEquals(1 / (1 + Math.exp(-1.15) * (1 / 0.5 - 1)), s[2], 1e-6);
        assertEquals(1 / (1 + Math.exp(-1.15) * (1 / 0.25 - 1)), s[3], 1e-6);
        assertArrayEquals(new float[] {1, 0.75f, 0.5f, 0.25f, 0}, FluxSchedule.sigmas(4, 4096, false));
    }

    @Test
    void packingPutsChannelDyDxInsideATokenAndRoundTrips() {
        LatentGrid grid = new LatentGrid(2, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray latent = m.arange(16 * 4 * 6).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                    .reshape(1, 16, 4, 6);
            NDArray tokens = grid.pack(latent);
            assertEquals(new Shape(1, 6, 64), tokens.getShape());
            // token (row 1, col 2), channel c = 5, dy = 1, dx = 0 -> latent[5, 3, 4]
            float expected = latent.getFloat(0, 5, 3, 4);
            assertEquals(expected, tokens.getFloat(0, 1 * 3 + 2, 5 * 4 + 1 * 2 + 0));
            assertArrayEquals(latent.toFloatArray(), grid.unpack(tokens).toFloatArray());
        }
    }

    @Test
    void seededStreamsAreReproducibleAndIndependent() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] a = new SeededStreams(9).normal("noise", new Shape(100), m).toFloatArray();
            float[] b = new SeededStreams(9).normal("noise", new Shape(100), m).toFloatArray();
            float[] other = new SeededStreams(9).normal("anchors", new Shape(100), m).toFloatArray();
            float[] seed10 = new SeededStreams(10).normal("noise", new Shape(100), m).toFloatArray();
            assertArrayEquals(a, b);
            assertNotEquals(a[0], other[0]);
            assertNotEquals(a[0], seed10[0]);
        }
    }

    /** A linear "model" v = y - c makes each Euler step checkable by hand. */
    @Test
    void eulerStepsFollowTheSchedule() {
        try (NDManager m = NDManager.newBaseManager()) {
            LatentGrid grid = new LatentGrid(1, 1);
            NDArray noise = m.ones(new Shape(1, 1, 64));
            DenoisingModel model = new DenoisingModel() {
                long n;

                @Override
                public NDArray velocity(NDArray tokens, NDArray ids, float sigma) {
                    n += tokens.getShape().get(1);
                    return tokens.mul(2); // v = 2y
                }

                @Override
                public long tokenEvaluations() {
                    return n;
                }
            };
            EulerSampler sampler = new EulerSampler(2, false); // sigmas 1, 0.5, 0
            SamplingResult r = sampler.sample(new SamplingContext(model, grid, noise, new SeededStreams(0),
                    StepObserver.NONE, m));
            // y1 = 1 + (0.5 - 1) * 2 = 0; y2 = 0
            assertEquals(0f, r.tokens().getFloat(0, 0, 0), 1e-6);
            assertEquals(List.of(new SamplingResult.Stage(2, 1)), r.stages());
            assertEquals(2, model.tokenEvaluations());
        }
    }

    @Test
    void presetsByName() {
        assertEquals("jit-7x", SamplerPresets.create("jit-7x", false, null).name());
        assertEquals(11, SamplerPresets.create("jit-7x", false, null).steps(new LatentGrid(4, 4)));
        assertEquals(15, SamplerPresets.create("ralu-5x", false, null).steps(new LatentGrid(4, 4)));
        assertEquals(4, SamplerPresets.create("ralu-5x", true, null).steps(new LatentGrid(4, 4)), "schnell: 1/1/2");
        assertEquals(50, SamplerPresets.create("none", false, null).steps(new LatentGrid(4, 4)));
        assertEquals(4, SamplerPresets.create("none", true, null).steps(new LatentGrid(4, 4)));
        assertEquals(7, SamplerPresets.create("none", false, 7).steps(new LatentGrid(4, 4)));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SamplerPresets.create("jit-9x", false, null));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("known: none, jit-4x"));
    }
}
