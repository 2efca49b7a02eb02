package io.fluxfleet.sampling.ralu;

import java.util.Arrays;

/**
 * A RALU configuration (arXiv 2507.08422): three stages (low resolution, mixed, full), each with
 * its step count, its end in flow time t (0 = noise, 1 = data), its schedule shift h, plus the
 * noise-matching constant Z = 1/sqrt(c) and the share r of low-resolution tokens upsampled early.
 *
 * @param ends stage ends in t, increasing, the last 1
 * @param imageSpaceEdges score edges on the decoded image (Canny) instead of the latent
 */
public record RaluPreset(String name, int[] steps, double[] ends, double[] shifts, double z, double upsampleRatio,
        boolean imageSpaceEdges) {

    public RaluPreset {
        steps = steps.clone();
        ends = ends.clone();
        shifts = shifts.clone();
        validate(steps, ends, shifts, z, upsampleRatio);
    }

    /** 4 / 5 / 6 steps, stage ends .30 / .45 / 1: 5.53x fewer FLOPs (paper v3). */
    public static RaluPreset ralu5x() {
        return new RaluPreset("ralu-5x", new int[] {4, 5, 6}, new double[] {0.30, 0.45, 1}, new double[] {5.12, 2.64, 2.25},
                7.52, 0.2, false);
    }

    /** 2 / 3 / 5 steps, stage ends .20 / .30 / 1: 7.02x fewer FLOPs (paper v3). */
    public static RaluPreset ralu7x() {
        return new RaluPreset("ralu-7x", new int[] {2, 3, 5}, new double[] {0.20, 0.30, 1}, new double[] {8.14, 2.86, 2.19},
                6.26, 0.2, false);
    }

    /** 5 / 6 / 7 steps, the reference code's settings (about 4.1x). */
    public static RaluPreset ralu4x() {
        return new RaluPreset("ralu-4x", new int[] {5, 6, 7}, new double[] {0.30, 0.45, 1},
                new double[] {5.019, 2.589, 2.226}, 6.317, 0.3, false);
    }

    public static RaluPreset named(String name) {
        return switch (name) {
            case "ralu-4x" -> ralu4x();
            case "ralu-5x" -> ralu5x();
            case "ralu-7x" -> ralu7x();
            default -> null;
        };
    }

    /** The paper's step budget for distilled models (FLUX.1-schnell): 1 / 1 / 2. */
    public RaluPreset forDistilled() {
        return new RaluPreset(name, new int[] {1, 1, 2}, ends, shifts, z, upsampleRatio, imageSpaceEdges);
    }

    public RaluPreset withImageSpaceEdges(boolean image) {
        return new RaluPreset(name, steps, ends, shifts, z, upsampleRatio, image);
    }

    /** c = 1 / Z^2, the strength of the correlation the re-noising cancels. */
    public double c() {
        return 1 / (z * z);
    }

    public int totalSteps() {
        return Arrays.stream(steps).sum();
    }

    private static void validate(int[] steps, double[] ends, double[] shifts, double z, double r) {
        if (steps.length != 3 || ends.length != 3 || shifts.length != 3) {
            throw new IllegalArgumentException("RALU has exactly three stages: steps, ends and shifts need 3 values");
        }
        for (int k = 0; k < 3; k++) {
            if (steps[k] < 1 || steps[k] > 100) {
                throw new IllegalArgumentException("RALU stage steps must be 1..100: " + Arrays.toString(steps));
            }
            if (!(shifts[k] >= 0.5 && shifts[k] <= 10)) {
                throw new IllegalArgumentException("RALU shifts must be within [0.5, 10]: " + Arrays.toString(shifts));
            }
        }
        if (!(ends[0] > 0 && ends[0] < ends[1] && ends[1] < 1 && ends[2] == 1)) {
            throw new IllegalArgumentException("RALU stage ends must increase within (0, 1) and end at 1: "
                    + Arrays.toString(ends));
        }
        if (!(z >= 2 && z <= 100)) {
            throw new IllegalArgumentException("RALU Z must be within [2, 100] (c = 1/Z^2 <= 1/4), got " + z);
        }
        if (!(r > 0 && r < 1)) {
            throw new IllegalArgumentException("RALU upsample ratio r must be within (0, 1), got " + r);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RaluPreset p && p.name.equals(name) && Arrays.equals(p.steps, steps)
                && Arrays.equals(p.ends, ends) && Arrays.equals(p.shifts, shifts) && p.z == z
                && p.upsampleRatio == upsampleRatio && p.imageSpaceEdges == imageSpaceEdges;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(steps);
    }

    @Override
    public String toString() {
        return name + "[steps=" + Arrays.toString(steps) + ", ends=" + Arrays.toString(ends) + ", shifts="
                + Arrays.toString(shifts) + ", Z=" + z + ", r=" + upsampleRatio + "]";
    }
}
