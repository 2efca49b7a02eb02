package io.fluxfleet.sampling.ralu;

import java.util.Arrays;

/**
 * A RALU configuration (arXiv 2507.08422): three stages (low resolution, mixed, full), each with
 * its step count, its end in flow time t (0 = noise, 1 = data), its schedule shift h, plus the
 * noise-matching constant Z = 1/sqrt(c) and the share r of low-resolution tokens upsampled early.
 *
 * @param ends stage ends in t, increasing, the last 1
 * @param variant where this preset departs from the reference code ({@link Variant#REFERENCE}: nowhere)
 */
public record RaluPreset(String name, int[] steps, double[] ends, double[] shifts, double z, double upsampleRatio,
        Variant variant) {

    /** How low-resolution tokens are scored for early upsampling. */
    public enum EdgeScoring {
        /** The reference: Canny(100, 200) on the decoded clean-image estimate, edge pixels per patch. */
        IMAGE_CANNY,
        /** Ours: Sobel magnitude of the x0_hat latent, no mid-sampling VAE decode. */
        LATENT_SOBEL
    }

    /** How the decoded image's gray level in [-1, 1] becomes 8 bits for Canny. */
    public enum GrayMapping {
        /** The reference: clip(gray, 0, 1) * 255 (the darker half becomes 0). */
        CLIPPED,
        /** Ours: (gray + 1) * 127.5, the whole range. */
        FULL_RANGE
    }

    /** How a low-resolution token becomes four full-resolution tokens. */
    public enum Upsampling {
        /** The reference: four copies of the whole token; noise correlated across the four copies. */
        TOKEN_COPY,
        /** Ours: child (cy, cx) takes the parent's latent pixel (c, cy, cx) in its 2x2 slots. */
        PIXEL_SPLIT
    }

    /** The options in which a preset may depart from the reference code. */
    public record Variant(EdgeScoring edges, GrayMapping gray, Upsampling upsampling) {
        public static final Variant REFERENCE = new Variant(EdgeScoring.IMAGE_CANNY, GrayMapping.CLIPPED,
                Upsampling.TOKEN_COPY);

        public Variant {
            if (edges == null || gray == null || upsampling == null) {
                throw new IllegalArgumentException("RALU variant options must all be given");
            }
        }
    }

    public RaluPreset {
        steps = steps.clone();
        ends = ends.clone();
        shifts = shifts.clone();
        validate(steps, ends, shifts, z, upsampleRatio);
        if (variant == null) {
            throw new IllegalArgumentException("RALU variant must be given");
        }
    }

    /** 4 / 5 / 6 steps, stage ends .30 / .45 / 1 (ours: the NT-DM fit; the paper's v3 table, rounded). */
    public static RaluPreset ralu5x() {
        return new RaluPreset("ralu-5x", new int[] {4, 5, 6}, new double[] {0.30, 0.45, 1},
                new double[] {5.115, 2.642, 2.254}, 7.522, 0.2, Variant.REFERENCE);
    }

    /** 2 / 3 / 5 steps, stage ends .20 / .30 / 1, r = 0.1: the reference code's 7x level. */
    public static RaluPreset ralu7x() {
        return new RaluPreset("ralu-7x", new int[] {2, 3, 5}, new double[] {0.20, 0.30, 1},
                new double[] {8.141, 2.856, 2.193}, 6.261, 0.1, Variant.REFERENCE);
    }

    /** 5 / 6 / 7 steps, stage ends .30 / .45 / 1, r = 0.3: the reference code's 4x level. */
    public static RaluPreset ralu4x() {
        return new RaluPreset("ralu-4x", new int[] {5, 6, 7}, new double[] {0.30, 0.45, 1},
                new double[] {5.019, 2.589, 2.226}, 6.317, 0.3, Variant.REFERENCE);
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
        return new RaluPreset(name, new int[] {1, 1, 2}, ends, shifts, z, upsampleRatio, variant);
    }

    public RaluPreset withVariant(Variant v) {
        return new RaluPreset(name, steps, ends, shifts, z, upsampleRatio, v);
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
                && p.upsampleRatio == upsampleRatio && p.variant.equals(variant);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(steps);
    }

    @Override
    public String toString() {
        return name + "[steps=" + Arrays.toString(steps) + ", ends=" + Arrays.toString(ends) + ", shifts="
                + Arrays.toString(shifts) + ", Z=" + z + ", r=" + upsampleRatio + ", " + variant + "]";
    }
}
