package io.fluxfleet.flux.transformer;

/**
 * Analytic transformer FLOPs of one model call (the JiT paper's accounting, also used to report
 * the work samplers save). Per block and token, linear layers cost 24 H^2 in both block types
 * (double: qkv 6H^2 + proj 2H^2 + MLP 16H^2 per stream; single: linear1 14H^2 + linear2 10H^2);
 * attention costs 4 L^2 H per block over the L = text + image tokens (scores and weighted sum);
 * the input projections cost 2*64*H per image token and 2*contextDim*H per text token, the
 * output 2*H*64 per image token. The small timestep/vector MLPs and the modulations are ignored.
 */
public final class FlopsModel {

    private FlopsModel() {}

    public static double perCall(FluxConfig c, long imageTokens, long textTokens) {
        double h = c.hidden();
        double blocks = c.doubleBlocks() + c.singleBlocks();
        double l = imageTokens + textTokens;
        double linear = 24 * h * h * l * blocks;
        double attention = 4 * l * l * h * blocks;
        double io = 2.0 * c.inChannels() * h * imageTokens + 2.0 * c.contextDim() * h * textTokens
                + 2.0 * h * c.inChannels() * imageTokens;
        return linear + attention + io;
    }

    /** The reference all samplers are compared with: 50 steps on every token. */
    public static final int FULL_STEPS = 50;

    /**
     * FLOPs of a sampled render: each stage's steps at its image-token count per call.
     *
     * @param stages pairs {steps, imageTokensPerCall}
     */
    public static double ofStages(FluxConfig c, long[][] stages, long textTokens) {
        double total = 0;
        for (long[] s : stages) {
            total += s[0] * perCall(c, s[1], textTokens);
        }
        return total;
    }

    /** 50 full steps over the whole grid divided by the render's FLOPs (how many times fewer). */
    public static double speedupVsFull(FluxConfig c, long[][] stages, long gridTokens, long textTokens) {
        return FULL_STEPS * perCall(c, gridTokens, textTokens) / ofStages(c, stages, textTokens);
    }

    /** Fraction of the 50-step full sampler's FLOPs saved (negative when a render does more). */
    public static double savedFraction(FluxConfig c, long[][] stages, long gridTokens, long textTokens) {
        return 1 - 1 / speedupVsFull(c, stages, gridTokens, textTokens);
    }

    /** FLOPs of the attention part alone (for breakdowns). */
    public static double attention(FluxConfig c, long imageTokens, long textTokens) {
        double l = imageTokens + textTokens;
        return 4 * l * l * c.hidden() * (c.doubleBlocks() + c.singleBlocks());
    }
}
