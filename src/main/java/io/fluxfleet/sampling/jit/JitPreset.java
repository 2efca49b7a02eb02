package io.fluxfleet.sampling.jit;

import java.util.Arrays;

/**
 * A JiT configuration: T model evaluations split into nested stages of growing token density,
 * the Beta timestep schedule, the micro-flow blend weight and the importance padding.
 *
 * @param steps T, the number of model evaluations
 * @param stageStarts first step of each stage; stageStarts[0] = 0
 * @param densities anchor density per stage, increasing, the last 1.0
 * @param betaAlpha alpha of the Beta schedule (1.4)
 * @param betaBeta beta of the Beta schedule (0.425, the reference presets'; 0.42 is the
 *     reference's default for a custom call)
 * @param blendWeight w of the micro-flow transition: 1/3 (default) is the reference code's one-shot
 *     blend; 1 moves new tokens exactly onto their target (the paper's text)
 * @param importancePadding how the 3x3 importance window sees beyond the grid
 * @param blurPadding how the lift's Gaussian blur sees beyond the grid
 */
public record JitPreset(String name, int steps, int[] stageStarts, double[] densities, double betaAlpha,
        double betaBeta, double blendWeight, ImportancePadding importancePadding, BlurPadding blurPadding) {

    public static final double DEFAULT_ALPHA = 1.4;
    public static final double DEFAULT_BETA = 0.425;
    /** The reference's micro-flow: one blend with weight 1 / relax steps, relax steps = 3. */
    public static final double DEFAULT_BLEND_WEIGHT = 1.0 / 3;

    /** ZERO (default, the reference's average pool counting the padding) or REPLICATE (ours). */
    public enum ImportancePadding {
        ZERO, REPLICATE
    }

    /** REFLECT (default, torchvision's gaussian_blur) or NORMALIZED_ZERO (ours: in-grid cells only). */
    public enum BlurPadding {
        REFLECT, NORMALIZED_ZERO
    }

    public JitPreset {
        stageStarts = stageStarts.clone();
        densities = densities.clone();
        validate(steps, stageStarts, densities, betaAlpha, betaBeta, blendWeight);
        if (importancePadding == null || blurPadding == null) {
            throw new IllegalArgumentException("JiT importance and blur padding must be given");
        }
    }

    /** The paper's three stages at floor(0.40 T) and floor(0.65 T). */
    public static JitPreset threeStage(String name, int steps, double d0, double d1) {
        return new JitPreset(name, steps, new int[] {0, (int) Math.floor(0.40 * steps), (int) Math.floor(0.65 * steps)},
                new double[] {d0, d1, 1.0}, DEFAULT_ALPHA, DEFAULT_BETA, DEFAULT_BLEND_WEIGHT, ImportancePadding.ZERO,
                BlurPadding.REFLECT);
    }

    /** 11 evaluations, stages 4 / 3 / 4 at densities 0.32 / 0.60 / 1.0: 7.07x fewer FLOPs. */
    public static JitPreset jit7x() {
        return threeStage("jit-7x", 11, 0.32, 0.60);
    }

    /** 18 evaluations, stages 7 / 4 / 7 at densities 0.35 / 0.62 / 1.0: 4.24x fewer FLOPs. */
    public static JitPreset jit4x() {
        return threeStage("jit-4x", 18, 0.35, 0.62);
    }

    /** jit-7x, jit-4x, or null for another name. */
    public static JitPreset named(String name) {
        return switch (name) {
            case "jit-7x" -> jit7x();
            case "jit-4x" -> jit4x();
            default -> null;
        };
    }

    public JitPreset withBlendWeight(double w) {
        return new JitPreset(name, steps, stageStarts, densities, betaAlpha, betaBeta, w, importancePadding, blurPadding);
    }

    public JitPreset withImportancePadding(ImportancePadding padding) {
        return new JitPreset(name, steps, stageStarts, densities, betaAlpha, betaBeta, blendWeight, padding, blurPadding);
    }

    public JitPreset withBlurPadding(BlurPadding padding) {
        return new JitPreset(name, steps, stageStarts, densities, betaAlpha, betaBeta, blendWeight, importancePadding,
                padding);
    }

    public int stages() {
        return densities.length;
    }

    /** Steps of stage k. */
    public int stageSteps(int k) {
        int end = k + 1 < stageStarts.length ? stageStarts[k + 1] : steps;
        return end - stageStarts[k];
    }

    /** Anchors in stage k on a grid of n tokens: floor(density * n), the last stage all of them. */
    public int anchors(int k, int n) {
        return k == densities.length - 1 ? n : Math.max(1, (int) Math.floor(densities[k] * n));
    }

    private static void validate(int steps, int[] starts, double[] densities, double alpha, double beta, double w) {
        if (steps < 2 || steps > 200) {
            throw new IllegalArgumentException("JiT steps must be between 2 and 200, got " + steps);
        }
        if (starts.length != densities.length || starts.length == 0) {
            throw new IllegalArgumentException("JiT needs one stage start per density: " + Arrays.toString(starts)
                    + " vs " + Arrays.toString(densities));
        }
        if (starts[0] != 0) {
            throw new IllegalArgumentException("the first JiT stage must start at step 0");
        }
        for (int k = 1; k < starts.length; k++) {
            if (starts[k] <= starts[k - 1] || starts[k] >= steps) {
                throw new IllegalArgumentException("JiT stage starts must increase and stay below steps " + steps
                        + ": " + Arrays.toString(starts));
            }
        }
        for (int k = 0; k < densities.length; k++) {
            if (!(densities[k] > 0 && densities[k] <= 1) || (k > 0 && densities[k] <= densities[k - 1])) {
                throw new IllegalArgumentException("JiT densities must increase within (0, 1]: "
                        + Arrays.toString(densities));
            }
        }
        if (densities[densities.length - 1] != 1.0) {
            throw new IllegalArgumentException("the last JiT stage must have density 1.0");
        }
        if (!(alpha > 0) || !(beta > 0)) {
            throw new IllegalArgumentException("Beta schedule parameters must be positive");
        }
        if (!(w > 0 && w <= 1)) {
            throw new IllegalArgumentException("JiT blend weight must be in (0, 1], got " + w);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JitPreset p && p.name.equals(name) && p.steps == steps
                && Arrays.equals(p.stageStarts, stageStarts) && Arrays.equals(p.densities, densities)
                && p.betaAlpha == betaAlpha && p.betaBeta == betaBeta && p.blendWeight == blendWeight
                && p.importancePadding == importancePadding && p.blurPadding == blurPadding;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + steps;
    }

    @Override
    public String toString() {
        return name + "[T=" + steps + ", starts=" + Arrays.toString(stageStarts) + ", densities="
                + Arrays.toString(densities) + ", Beta(" + betaAlpha + ", " + betaBeta + "), w=" + blendWeight + ", importance " + importancePadding + ", blur " + blurPadding + "]";
    }
}
