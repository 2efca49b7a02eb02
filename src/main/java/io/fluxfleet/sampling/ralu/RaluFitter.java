package io.fluxfleet.sampling.ralu;

import org.apache.commons.math3.optim.InitialGuess;
import org.apache.commons.math3.optim.MaxEval;
import org.apache.commons.math3.optim.PointValuePair;
import org.apache.commons.math3.optim.SimpleBounds;
import org.apache.commons.math3.optim.nonlinear.scalar.GoalType;
import org.apache.commons.math3.optim.nonlinear.scalar.ObjectiveFunction;
import org.apache.commons.math3.optim.nonlinear.scalar.noderiv.BOBYQAOptimizer;

/**
 * Shifts and Z for a custom RALU step budget by noise-timestep distribution matching (NT-DM, eq.
 * 7-9 of the paper, as the reference's RALU_NTDM computes it). In t (0 = noise, 1 = data), a
 * schedule with shift h has density pdf(t; h) = h / (1 + (h - 1) t)^2. The target is the base
 * model's density (h_ori = 3) plus, once more, the intervals the restarts visit twice; the model
 * is the step-weighted mixture of the three stages' densities, each truncated to its [S_k, E_k].
 * Both are evaluated on 1000 points of [0, 1], clipped below at 1e-10, normalised, and compared by
 * the Jensen-Shannon distance (natural log). BOBYQA minimises it over (H_0, H_1, H_2, Z) from
 * (3, 3, 3, 2) within H in [0.5, 10], Z in [2, 100]; the paper's threshold 0.03 is on this scale.
 */
public final class RaluFitter {

    public static final double MAX_GOOD_DISTANCE = 0.03;
    public static final double BASE_SHIFT = 3;
    private static final int POINTS = 1000;
    private static final double FLOOR = 1e-10;
    private static final double[] START = {3, 3, 3, 2};
    private static final double[] LOWER = {0.5, 0.5, 0.5, 2};
    private static final double[] UPPER = {10, 10, 10, 100};

    private RaluFitter() {}

    public record Fit(RaluPreset preset, double distance) {
        public boolean good() {
            return distance < MAX_GOOD_DISTANCE;
        }
    }

    static double pdf(double t, double h) {
        double d = 1 + (h - 1) * t;
        return h / (d * d);
    }

    static double cdf(double t, double h) {
        return h * t / (1 + (h - 1) * t);
    }

    /** pdf truncated to [s, e] and renormalised; 0 outside. */
    static double truncated(double t, double h, double s, double e) {
        return t < s || t > e ? 0 : pdf(t, h) / (cdf(e, h) - cdf(s, h));
    }

    /** Stage starts in t: S_0 = 0, S_k = E_{k-1} / (Z (1 - E_{k-1}) + E_{k-1}). */
    static double[] starts(double[] ends, double z) {
        return new double[] {0, ends[0] / (z * (1 - ends[0]) + ends[0]), ends[1] / (z * (1 - ends[1]) + ends[1])};
    }

    /** The NT-DM objective for stage steps and ends (in t) at shifts h[0..2] and Z. */
    public static double distance(int[] steps, double[] ends, double[] shifts, double z) {
        double[] s = starts(ends, z);
        double revisit1 = ends[0] - s[1];
        double revisit2 = ends[1] - s[2];
        double[] target = new double[POINTS];
        double[] model = new double[POINTS];
        double totalSteps = steps[0] + steps[1] + steps[2];
        for (int i = 0; i < POINTS; i++) {
            double t = (double) i / (POINTS - 1);
            target[i] = (pdf(t, BASE_SHIFT) + revisit1 * truncated(t, BASE_SHIFT, s[1], ends[0])
                    + revisit2 * truncated(t, BASE_SHIFT, s[2], ends[1])) / (1 + revisit1 + revisit2);
            double mix = 0;
            for (int k = 0; k < 3; k++) {
                mix += steps[k] * truncated(t, shifts[k], s[k], k == 2 ? 1 : ends[k]);
            }
            model[i] = mix / totalSteps;
        }
        return jensenShannonDistance(target, model);
    }

    /** sqrt of the Jensen-Shannon divergence (natural log) of two non-negative vectors, each clipped and normalised. */
    static double jensenShannonDistance(double[] a, double[] b) {
        double[] p = normalised(a);
        double[] q = normalised(b);
        double js = 0;
        for (int i = 0; i < p.length; i++) {
            double m = (p[i] + q[i]) / 2;
            js += p[i] * Math.log(p[i] / m) / 2 + q[i] * Math.log(q[i] / m) / 2;
        }
        return Math.sqrt(Math.max(0, js));
    }

    private static double[] normalised(double[] x) {
        double[] out = new double[x.length];
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.max(FLOOR, x[i]);
            sum += out[i];
        }
        for (int i = 0; i < x.length; i++) {
            out[i] /= sum;
        }
        return out;
    }

    /** Fits shifts and Z for the given stage steps, stage ends (t) and upsample ratio. */
    public static Fit fit(String name, int[] steps, double[] ends, double upsampleRatio, RaluPreset.Variant variant) {
        if (steps.length != 3 || ends.length != 3) {
            throw new IllegalArgumentException("RALU has exactly three stages: steps and ends need 3 values");
        }
        ObjectiveFunction objective = new ObjectiveFunction(
                x -> distance(steps, ends, new double[] {x[0], x[1], x[2]}, x[3]));
        PointValuePair best = new BOBYQAOptimizer(9, 0.5, 1e-7).optimize(new MaxEval(20000), objective,
                GoalType.MINIMIZE, new InitialGuess(START.clone()), new SimpleBounds(LOWER, UPPER));
        double[] x = best.getPoint();
        return new Fit(new RaluPreset(name, steps, ends, new double[] {x[0], x[1], x[2]}, x[3], upsampleRatio, variant),
                best.getValue());
    }
}
