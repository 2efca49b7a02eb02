package io.fluxfleet.sampling.jit;

import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * JiT's timesteps: T sigmas spaced by the inverse CDF of a Beta(alpha, beta) distribution,
 * sigma_i = smin + BetaInvCDF(1 - i / (T - 1)) (1 - smin), smin = 1/T, then sigma_T = 0. With
 * alpha = 1.4, beta = 0.42 the steps crowd near sigma = 1, so the sparse stages run while the
 * noise is high. No resolution shift.
 */
public final class BetaSchedule {

    private BetaSchedule() {}

    /** T + 1 sigmas, from 1 down to 0. */
    public static float[] sigmas(int steps, double alpha, double beta) {
        BetaDistribution dist = new BetaDistribution(alpha, beta, 1e-12);
        double smin = 1.0 / steps;
        float[] s = new float[steps + 1];
        for (int i = 0; i < steps; i++) {
            double p = 1.0 - (double) i / (steps - 1);
            double q = p >= 1 ? 1 : p <= 0 ? 0 : dist.inverseCumulativeProbability(p);
            s[i] = (float) (smin + q * (1 - smin));
        }
        s[steps] = 0;
        return s;
    }
}
