package io.fluxfleet.sampling.jit;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * JiT written out from jit.md in plain loops and doubles, for the tests: it shares no code with
 * the sampler (no AnchorSet, StageLift, Importance, BetaSchedule). Values are [N][64] in raster
 * order on an h x w grid; anchor lists are raster indices in insertion order.
 */
final class ReferenceJit {

    final int h;
    final int w;

    ReferenceJit(int h, int w) {
        this.h = h;
        this.w = w;
    }

    int n() {
        return h * w;
    }

    /** sigma_i = 1/T + BetaInvCDF(1 - i/(T-1)) (1 - 1/T), sigma_T = 0. */
    static double[] sigmas(int t, double alpha, double beta) {
        BetaDistribution d = new BetaDistribution(alpha, beta);
        double[] s = new double[t + 1];
        for (int i = 0; i < t; i++) {
            double p = 1 - (double) i / (t - 1);
            s[i] = 1.0 / t + (p >= 1 ? 1 : p <= 0 ? 0 : d.inverseCumulativeProbability(p)) * (1 - 1.0 / t);
        }
        return s;
    }

    /** Checkerboard + border in raster order, then seeded top-up picks (or a seeded permutation's first m). */
    List<Integer> initialAnchors(int m, RandomGenerator rng) {
        List<Integer> pattern = new ArrayList<>();
        List<Integer> rest = new ArrayList<>();
        for (int r = 0; r < h; r++) {
            for (int c = 0; c < w; c++) {
                boolean in = r == 0 || c == 0 || r == h - 1 || c == w - 1 || (r % 2 == 0 && c % 2 == 0);
                (in ? pattern : rest).add(r * w + c);
            }
        }
        List<Integer> out = new ArrayList<>();
        if (pattern.size() <= m) {
            out.addAll(pattern);
            out.addAll(picks(rest, m - pattern.size(), rng));
        } else {
            out.addAll(picks(pattern, m, rng));
        }
        return out;
    }

    /** k picks without replacement: pick j swaps a uniform element of [j, size) into place j. */
    static List<Integer> picks(List<Integer> pool, int k, RandomGenerator rng) {
        List<Integer> p = new ArrayList<>(pool);
        List<Integer> out = new ArrayList<>();
        for (int j = 0; j < k; j++) {
            int pick = j + rng.nextInt(p.size() - j);
            java.util.Collections.swap(p, j, pick);
            out.add(p.get(j));
        }
        return out;
    }

    /** For every cell, the list position of the nearest anchor; equal distance: earliest in the list. */
    int[] nearest(List<Integer> anchors) {
        int[] out = new int[n()];
        for (int cell = 0; cell < n(); cell++) {
            long best = Long.MAX_VALUE;
            for (int a = 0; a < anchors.size(); a++) {
                long dr = anchors.get(a) / w - cell / w;
                long dc = anchors.get(a) % w - cell % w;
                long d = dr * dr + dc * dc; // squared: exact ties
                if (d < best) {
                    best = d;
                    out[cell] = a;
                }
            }
        }
        return out;
    }

    /** Torch's reflect padding: -1 -> 1, n -> n - 2. */
    static int reflect(int i, int n) {
        while (i < 0 || i >= n) {
            i = i < 0 ? -i : 2 * (n - 1) - i;
        }
        return i;
    }

    /** Lift: nearest-anchor fill, 2-D Gaussian blur over the reflect-padded grid, anchors exact. */
    double[][] lift(double[][] atAnchors, List<Integer> anchors) {
        int[] near = nearest(anchors);
        double[][] filled = new double[n()][];
        for (int cell = 0; cell < n(); cell++) {
            filled[cell] = atAnchors[near[cell]];
        }
        double sigma = Math.min(10, Math.max(1, 0.4 / Math.sqrt((double) anchors.size() / n())));
        int radius = (int) Math.ceil(3 * sigma);
        double[] g = new double[2 * radius + 1];
        double sum = 0;
        for (int i = -radius; i <= radius; i++) {
            g[i + radius] = Math.exp(-0.5 * (i / sigma) * (i / sigma));
            sum += g[i + radius];
        }
        boolean[] isAnchor = new boolean[n()];
        anchors.forEach(a -> isAnchor[a] = true);
        double[][] out = new double[n()][64];
        for (int cell = 0; cell < n(); cell++) {
            if (isAnchor[cell]) {
                out[cell] = filled[cell].clone();
                continue;
            }
            for (int dy = -radius; dy <= radius; dy++) {
                for (int dx = -radius; dx <= radius; dx++) {
                    int src = reflect(cell / w + dy, h) * w + reflect(cell % w + dx, w);
                    double k = g[dy + radius] * g[dx + radius] / (sum * sum);
                    for (int c = 0; c < 64; c++) {
                        out[cell][c] += k * filled[src][c];
                    }
                }
            }
        }
        return out;
    }

    /** 3x3 local variance, zero padding counted (/9), channel mean, (x - min) / (max - min + 1e-8). */
    double[] importance(double[][] v) {
        double[] imp = new double[n()];
        for (int cell = 0; cell < n(); cell++) {
            double total = 0;
            for (int c = 0; c < 64; c++) {
                double s = 0;
                double s2 = 0;
                for (int dy = -1; dy <= 1; dy++) {
                    for (int dx = -1; dx <= 1; dx++) {
                        int r = cell / w + dy;
                        int col = cell % w + dx;
                        double x = r < 0 || r >= h || col < 0 || col >= w ? 0 : v[r * w + col][c];
                        s += x;
                        s2 += x * x;
                    }
                }
                total += s2 / 9 - (s / 9) * (s / 9);
            }
            imp[cell] = total / 64;
        }
        double min = java.util.Arrays.stream(imp).min().orElse(0);
        double max = java.util.Arrays.stream(imp).max().orElse(0);
        for (int i = 0; i < imp.length; i++) {
            imp[i] = (imp[i] - min) / (max - min + 1e-8);
        }
        return imp;
    }

    /** The count - |anchors| non-anchors of highest importance, descending (ties: lower index). */
    List<Integer> topK(List<Integer> anchors, double[] importance, int count) {
        List<Integer> free = new ArrayList<>();
        for (int i = 0; i < n(); i++) {
            if (!anchors.contains(i)) {
                free.add(i);
            }
        }
        if (count >= n()) {
            return free;
        }
        free.sort((a, b) -> importance[b] != importance[a] ? Double.compare(importance[b], importance[a]) : a - b);
        return free.subList(0, count - anchors.size());
    }
}
