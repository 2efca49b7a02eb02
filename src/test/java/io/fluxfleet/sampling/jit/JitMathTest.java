package io.fluxfleet.sampling.jit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SeededStreams;
import static io.fluxfleet.sampling.jit.JitPreset.BlurPadding.NORMALIZED_ZERO;
import static io.fluxfleet.sampling.jit.JitPreset.BlurPadding.REFLECT;
import static io.fluxfleet.sampling.jit.JitPreset.ImportancePadding.REPLICATE;
import static io.fluxfleet.sampling.jit.JitPreset.ImportancePadding.ZERO;

import org.junit.jupiter.api.Test;

/** Presets, the Beta schedule, token counts and the FLOPs model against independent values. */
class JitMathTest {

    /**
     * Beta(a, b) CDF computed independently of commons-math: substituting t = (1 - x)^b makes the
     * density's singularity at x = 1 vanish: CDF(q) = int_{(1-q)^b}^1 g / int_0^1 g with
     * g(t) = (1 - t^(1/b))^(a-1), integrated with composite Simpson.
     */
    static double betaCdf(double q, double a, double b) {
        return simpson(Math.pow(1 - q, b), 1, a, b) / simpson(0, 1, a, b);
    }

    static double simpson(double from, double to, double a, double b) {
        int n = 200_000;
        double h = (to - from) / n;
        double sum = 0;
        for (int i = 0; i <= n; i++) {
            double t = from + i * h;
            double g = Math.pow(Math.max(0, 1 - Math.pow(t, 1 / b)), a - 1);
            sum += g * (i == 0 || i == n ? 1 : i % 2 == 1 ? 4 : 2);
        }
        return sum * h / 3;
    }

    /** sigma_i by bisection on the independent CDF. */
    static double expectedSigma(int i, int steps, double a, double b) {
        double p = 1 - (double) i / (steps - 1);
        double lo = 0;
        double hi = 1;
        for (int it = 0; it < 60; it++) {
            double mid = (lo + hi) / 2;
            if (betaCdf(mid, a, b) < p) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double smin = 1.0 / steps;
        return smin + (lo + hi) / 2 * (1 - smin);
    }

    @Test
    void betaScheduleMatchesIndependentValues() {
        for (int steps : new int[] {11, 18}) {
            float[] s = BetaSchedule.sigmas(steps, 1.4, 0.42);
            assertEquals(steps + 1, s.length);
            assertEquals(1f, s[0], 1e-6);
            assertEquals(1f / steps, s[steps - 1], 1e-6);
            assertEquals(0f, s[steps]);
            for (int i = 1; i <= steps; i++) {
                assertTrue(s[i] < s[i - 1], "monotone at " + i);
            }
            for (int i : new int[] {1, steps / 2, steps - 2}) {
                assertEquals(expectedSigma(i, steps, 1.4, 0.42), s[i], 2e-4, "T=" + steps + " i=" + i);
            }
            // steps crowd near sigma = 1: the first half of the steps stays in the noisiest part
            assertTrue(s[steps / 2] > 0.8, "T=" + steps + " sigma at half " + s[steps / 2]);
        }
    }

    @Test
    void presetsFollowThePaper() {
        JitPreset seven = JitPreset.jit7x();
        assertArrayEquals(new int[] {0, 4, 7}, seven.stageStarts());
        assertEquals(4, seven.stageSteps(0));
        assertEquals(3, seven.stageSteps(1));
        assertEquals(4, seven.stageSteps(2));
        JitPreset four = JitPreset.jit4x();
        assertArrayEquals(new int[] {0, 7, 11}, four.stageStarts());
        assertEquals(7, four.stageSteps(2));
        assertEquals(1310, seven.anchors(0, 4096));
        assertEquals(2457, seven.anchors(1, 4096));
        assertEquals(4096, seven.anchors(2, 4096));
        assertEquals(1433, four.anchors(0, 4096));
        assertEquals(2539, four.anchors(1, 4096));
    }

    @Test
    void customPresetsAreValidated() {
        assertThrows(IllegalArgumentException.class,
                () -> new JitPreset("x", 10, new int[] {0, 5}, new double[] {0.6, 0.5}, 1.4, 0.42, 1, ZERO, REFLECT));
        assertThrows(IllegalArgumentException.class,
                () -> new JitPreset("x", 10, new int[] {0, 5}, new double[] {0.3, 0.9}, 1.4, 0.42, 1, ZERO, REFLECT));
        assertThrows(IllegalArgumentException.class,
                () -> new JitPreset("x", 10, new int[] {0, 12}, new double[] {0.3, 1.0}, 1.4, 0.42, 1, ZERO, REFLECT));
        assertThrows(IllegalArgumentException.class,
                () -> new JitPreset("x", 10, new int[] {0, 5}, new double[] {0.3, 1.0}, 1.4, 0.42, 0, ZERO, REFLECT));
        JitPreset ok = new JitPreset("custom", 12, new int[] {0, 4, 8}, new double[] {0.25, 0.5, 1.0}, 1.4, 0.425,
                0.5, REPLICATE, NORMALIZED_ZERO);
        assertEquals(4, ok.stageSteps(2));
    }

    static long[][] stages(JitPreset p, int n) {
        long[][] s = new long[p.stages()][];
        for (int k = 0; k < p.stages(); k++) {
            s[k] = new long[] {p.stageSteps(k), p.anchors(k, n)};
        }
        return s;
    }

    @Test
    void tokenAndFlopsRatiosAt1024MatchTheSpec() {
        int n = 4096;
        for (Object[] row : new Object[][] {{JitPreset.jit7x(), 7.063, 6.958, 7.144}, {JitPreset.jit4x(), 4.192, 4.138, 4.240}}) {
            JitPreset p = (JitPreset) row[0];
            long tokens = 0;
            for (long[] s : stages(p, n)) {
                tokens += s[0] * s[1];
            }
            assertEquals((double) row[1], 50.0 * n / tokens, 0.005 * (double) row[1], p.name() + " tokens");
            FluxConfig dev = FluxConfig.dev();
            assertEquals((double) row[2], FlopsModel.speedupVsFull(dev, stages(p, n), n, 512), 0.005 * (double) row[2],
                    p.name() + " FLOPs, 512 text tokens");
            assertEquals((double) row[3], FlopsModel.speedupVsFull(dev, stages(p, n), n, 256), 0.005 * (double) row[3],
                    p.name() + " FLOPs, 256 text tokens");
        }
        double full = FlopsModel.FULL_STEPS * FlopsModel.perCall(FluxConfig.dev(), n, 512);
        assertEquals(3719e12, full, 0.005 * 3719e12);
    }

    @Test
    void initialAnchorsAreEvenCellsPlusBorderToppedUpToTheCount() {
        LatentGrid grid = new LatentGrid(64, 64);
        AnchorSet a = AnchorSet.initial(grid, 1310, new SeededStreams(1).stream(JitSampler.ANCHOR_STREAM));
        assertEquals(1310, a.size());
        for (int r = 0; r < 64; r++) {
            for (int c = 0; c < 64; c++) {
                boolean base = r == 0 || c == 0 || r == 63 || c == 63 || (r % 2 == 0 && c % 2 == 0);
                if (base) {
                    assertTrue(a.contains(r * 64 + c), "base anchor " + r + "," + c);
                }
            }
        }
        AnchorSet again = AnchorSet.initial(grid, 1310, new SeededStreams(1).stream(JitSampler.ANCHOR_STREAM));
        AnchorSet other = AnchorSet.initial(grid, 1310, new SeededStreams(2).stream(JitSampler.ANCHOR_STREAM));
        assertArrayEquals(a.indices(), again.indices());
        assertTrue(!java.util.Arrays.equals(a.indices(), other.indices()), "top-up comes from the seed");
        // fewer than the base set: random ones are dropped instead
        assertEquals(300, AnchorSet.initial(grid, 300, new SeededStreams(1).stream("a")).size());
    }

    @Test
    void growAddsTheMostImportantNonAnchors() {
        LatentGrid grid = new LatentGrid(6, 6);
        AnchorSet a = AnchorSet.initial(grid, 24, new SeededStreams(3).stream("a"));
        int[] free = java.util.stream.IntStream.range(0, 36).filter(i -> !a.contains(i)).toArray();
        float[] importance = new float[36];
        importance[free[3]] = 0.9f; // the two most important non-anchors
        importance[free[1]] = 0.5f;
        importance[free[0]] = 0.1f;
        importance[0] = 1f; // an anchor already: must not count
        AnchorSet grown = a.grow(26, importance);
        assertEquals(26, grown.size());
        assertArrayEquals(new int[] {free[3], free[1]}, grown.minus(a), "appended in descending importance");
    }

    /**
     * Every cell, anchors and non-anchors, gets the nearest anchor by Euclidean distance, and a cell
     * equidistant from several anchors gets the EARLIEST in the anchor list (jit.md, "Anchor order
     * and ties"), checked against a brute force written here. The list is a seeded permutation
     * (thinned pattern) plus grown tokens, so list order differs from raster order, and the test
     * asserts that this matters for some cells. Mutation: ties to the last anchor (d <= best
     * in AnchorSet.nearestAnchor) failed.
     */
    @Test
    void nearestAnchorMapTakesTheEarliestOfEquallyNearAnchors() {
        LatentGrid grid = new LatentGrid(12, 10);
        AnchorSet thinned = AnchorSet.initial(grid, 30, new SeededStreams(6).stream("a"));
        float[] importance = new float[grid.tokens()];
        for (int i = 0; i < importance.length; i++) {
            importance[i] = (i * 37) % 101;
        }
        for (AnchorSet a : new AnchorSet[] {thinned, thinned.grow(50, importance)}) {
            int[] list = a.indices();
            int[] near = a.nearestAnchor();
            int rasterTieDifferences = 0;
            for (int cell = 0; cell < grid.tokens(); cell++) {
                int best = Integer.MAX_VALUE;
                for (int anchor : list) {
                    best = Math.min(best, dist2(anchor, cell, 10));
                }
                int earliest = -1;
                int lowestRaster = Integer.MAX_VALUE;
                for (int p = 0; p < list.length; p++) {
                    if (dist2(list[p], cell, 10) == best) {
                        earliest = earliest < 0 ? p : earliest;
                        lowestRaster = Math.min(lowestRaster, list[p]);
                    }
                }
                assertEquals(earliest, near[cell], "cell " + cell);
                rasterTieDifferences += list[earliest] != lowestRaster ? 1 : 0;
            }
            assertTrue(rasterTieDifferences > 0, "the tie rule must matter on this list");
        }
    }

    static int dist2(int a, int b, int cols) {
        int dr = a / cols - b / cols;
        int dc = a % cols - b % cols;
        return dr * dr + dc * dc;
    }
}
