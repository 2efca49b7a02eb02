package io.fluxfleet.sampling.ralu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RaluFitterTest {

    @Test
    void divergenceIsZeroForIdenticalAndOneForDisjointSchedules() {
        double[] a = {0.9, 0.8, 0.7};
        assertEquals(0, RaluFitter.divergence(a, a), 1e-12);
        assertEquals(1, RaluFitter.divergence(new double[] {0.05}, new double[] {0.95}), 1e-6);
    }

    @Test
    void visitedSigmasAreEveryModelCall() {
        RaluPreset p = RaluPreset.ralu7x();
        double[] v = RaluFitter.visitedSigmas(p);
        assertEquals(10, v.length);
        assertEquals(1.0, v[0], 1e-6);
        assertTrue(v[9] > 0, "the final sigma 0 is reached, not evaluated");
    }

    @Test
    void fittingACustomBudgetLowersTheDivergenceWithinBounds() {
        int[] steps = {3, 4, 5};
        double[] ends = {0.25, 0.4, 1};
        RaluPreset start = new RaluPreset("start", steps, ends, RaluPreset.ralu5x().shifts(), RaluPreset.ralu5x().z(),
                0.2, false);
        double before = RaluFitter.divergence(RaluFitter.visitedSigmas(start), RaluFitter.baseSigmas(4096));
        RaluFitter.Fit fit = RaluFitter.fit("ralu-custom", steps, ends, 0.2, 4096, RaluPreset.ralu5x());
        assertTrue(fit.divergence() < before, fit.divergence() + " vs " + before);
        assertTrue(fit.good(), "divergence " + fit.divergence());
        assertArrayEquals(steps, fit.preset().steps());
        for (double h : fit.preset().shifts()) {
            assertTrue(h >= 0.5 && h <= 10);
        }
        assertTrue(fit.preset().z() >= 2 && fit.preset().z() <= 100);
    }
}
