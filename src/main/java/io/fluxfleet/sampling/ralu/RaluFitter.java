package io.fluxfleet.sampling.ralu;

import io.fluxfleet.sampling.euler.FluxSchedule;
import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;

/**
 * Shifts and Z for a custom RALU step budget: chosen so the noise levels RALU visits are
 * distributed like the base model's own 50-step schedule (FLUX dev, shifted for the image
 * size). Both sets of sigmas are smoothed into densities (Gaussian kernels, bandwidth 0.04, on
 * 400 bins over [0, 1]) and compared by the Jensen-Shannon divergence (base 2, in [0, 1]);
 * the paper reports that below 0.03 avoids artifacts. BOBYQA minimises it within h in
 * [0.5, 10] and Z in [2, 100].
 */
public final class RaluFitter {

    public static final double MAX_GOOD_DIVERGENCE = 0.03;
    private static final int BINS = 400;
    private static final double BANDWIDTH = 0.04;

    private RaluFitter() {}

    public record Fit(RaluPreset preset, double divergence) {
        public boolean good() {
            return divergence < MAX_GOOD_DIVERGENCE;
        }
    }

    /** The sigmas the model is called at (each stage's start and inner points, not its end). */
    public static double[] visitedSigmas(RaluPreset p) {
        float[][] stages = RaluSchedule.allStages(p);
        double[] out = new double[p.totalSteps()];
        int j = 0;
        for (float[] stage : stages) {
            for (int i = 0; i + 1 < stage.length; i++) {
                out[j++] = stage[i];
            }
        }
        return out;
    }

    /** The base model's visited sigmas: FLUX dev's 50 shifted steps for this many image tokens. */
    public static double[] baseSigmas(int imageTokens) {
        float[] s = FluxSchedule.sigmas(50, imageTokens, true);
        double[] out = new double[50];
        for (int i = 0; i < 50; i++) {
            out[i] = s[i];
        }
        return out;
    }

    public static double divergence(double[] sigmasA, double[] sigmasB) {
        double[] p = density(sigmasA);
        double[] q = density(sigmasB);
        double js = 0;
        for (int i = 0; i < BINS; i++) {
            double m = (p[i] + q[i]) / 2;
            js += term(p[i], m) / 2 + term(q[i], m) / 2;
        }
        return js;
    }

    /** Fits shifts and Z for the given steps, stage ends and upsample ratio, starting from {@code start}. */
    public static Fit fit(String name, int[] steps, double[] ends, double upsampleRatio, int imageTokens,
            RaluPreset start) {
        double[] base = baseSigmas(imageTokens);
        ObjectiveFunction objective = new ObjectiveFunction(x -> {
            try {
                return divergence(visitedSigmas(preset(name, steps, ends, x, upsampleRatio)), base);
            } catch (IllegalArgumentException outOfBounds) {
                return 1;
            }
        });
        double[] guess = {start.shifts()[0], start.shifts()[1], start.shifts()[2], start.z()};
        PointValuePair best = new BOBYQAOptimizer(9, 0.5, 1e-4).optimize(new MaxEval(4000), objective, GoalType.MINIMIZE,
                new InitialGuess(guess), new SimpleBounds(new double[] {0.5, 0.5, 0.5, 2},
                        new double[] {10, 10, 10, 100}));
        return new Fit(preset(name, steps, ends, best.getPoint(), upsampleRatio), best.getValue());
    }

    private static RaluPreset preset(String name, int[] steps, double[] ends, double[] x, double r) {
        return new RaluPreset(name, steps, ends, new double[] {x[0], x[1], x[2]}, x[3], r, false);
    }

    private static double term(double a, double m) {
        return a > 0 ? a * Math.log(a / m) / Math.log(2) : 0;
    }

    private static double[] density(double[] sigmas) {
        double[] d = new double[BINS];
        double total = 0;
        for (int i = 0; i < BINS; i++) {
            double x = (i + 0.5) / BINS;
            for (double s : sigmas) {
                double z = (x - s) / BANDWIDTH;
                d[i] += Math.exp(-z * z / 2);
            }
            total += d[i];
        }
        for (int i = 0; i < BINS; i++) {
            d[i] /= total;
        }
        return d;
    }
}
