package io.fluxfleet.sampling.euler;

/**
 * FLUX's sigma schedule: linspace(1, 0, steps + 1); the dev model shifts it towards noise by an
 * amount that grows with the image token count:
 * mu = 0.5 + (1.15 - 0.5) (seqLen - 256) / (4096 - 256), sigma' = e^mu / (e^mu + 1/sigma - 1).
 */
public final class FluxSchedule {

    private static final double BASE_SHIFT = 0.5;
    private static final double MAX_SHIFT = 1.15;
    private static final double BASE_SEQ = 256;
    private static final double MAX_SEQ = 4096;

    private FluxSchedule() {}

    public static double mu(int imageSeqLen) {
        return BASE_SHIFT + (MAX_SHIFT - BASE_SHIFT) * (imageSeqLen - BASE_SEQ) / (MAX_SEQ - BASE_SEQ);
    }

    /** steps + 1 sigmas from 1 to 0; shifted for dev ({@code shift}), plain for schnell. */
    public static float[] sigmas(int steps, int imageSeqLen, boolean shift) {
        float[] out = new float[steps + 1];
        double m = Math.exp(mu(imageSeqLen));
        for (int i = 0; i <= steps; i++) {
            double s = 1.0 - (double) i / steps;
            out[i] = (float) (!shift || s == 0 ? s : m / (m + 1 / s - 1));
        }
        return out;
    }
}
