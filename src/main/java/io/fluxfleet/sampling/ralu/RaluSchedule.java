package io.fluxfleet.sampling.ralu;

/**
 * RALU's per-stage sigmas and its noise-timestep matching, in FLUX sigma (sigma = 1 - t).
 *
 * <p>Stage k runs n_k Euler steps from its start to its end sigma with its own shift h: a sigma
 * maps to u = sigma / (h - (h - 1) sigma), n_k + 1 points are spaced evenly in u, and map back
 * with sigma = h u / (1 + (h - 1) u).
 *
 * <p>At a resolution change at stage end e (in t), with delta = (1 - e) Z: the next stage starts
 * at t' = e / (delta + e), and the state becomes a Up(y) + b z with a = 1 / (delta + e) and
 * b = delta / (delta + e) = 1 - t', z with covariance I - c B inside each 2x2 copy block.
 */
public final class RaluSchedule {

    private RaluSchedule() {}

    public static double toU(double sigma, double h) {
        return sigma / (h - (h - 1) * sigma);
    }

    public static double fromU(double u, double h) {
        return h * u / (1 + (h - 1) * u);
    }

    /** n + 1 sigmas from {@code start} to {@code end}, evenly spaced in the shifted coordinate u. */
    public static float[] stageSigmas(double start, double end, int n, double h) {
        double u0 = toU(start, h);
        double u1 = toU(end, h);
        float[] s = new float[n + 1];
        for (int i = 0; i <= n; i++) {
            s[i] = (float) fromU(u0 + (u1 - u0) * i / n, h);
        }
        s[0] = (float) start;
        s[n] = (float) end;
        return s;
    }

    /** delta = (1 - e) Z. */
    public static double delta(double stageEndT, double z) {
        return (1 - stageEndT) * z;
    }

    /** The next stage's start in t: e / (delta + e). */
    public static double restartT(double stageEndT, double z) {
        return stageEndT / (delta(stageEndT, z) + stageEndT);
    }

    /** Scale of the upsampled state: 1 / (delta + e). */
    public static double signalScale(double stageEndT, double z) {
        return 1 / (delta(stageEndT, z) + stageEndT);
    }

    /** Scale of the added noise: delta / (delta + e). */
    public static double noiseScale(double stageEndT, double z) {
        double d = delta(stageEndT, z);
        return d / (d + stageEndT);
    }

    /** gamma of the exact block sampler z = g + gamma sum(g) 1: (-1 + sqrt(1 - 4c)) / 4. */
    public static double blockGamma(double c) {
        return (-1 + Math.sqrt(1 - 4 * c)) / 4;
    }

    /** Every sigma of the three stages, as sampled (stage starts after each restart). */
    public static float[][] allStages(RaluPreset p) {
        float[][] out = new float[3][];
        double start = 1;
        for (int k = 0; k < 3; k++) {
            double end = 1 - p.ends()[k];
            out[k] = stageSigmas(start, end, p.steps()[k], p.shifts()[k]);
            start = 1 - restartT(p.ends()[k], p.z());
        }
        return out;
    }
}
