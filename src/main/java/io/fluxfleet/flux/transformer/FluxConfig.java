package io.fluxfleet.flux.transformer;

import io.fluxfleet.flux.checkpoint.WeightSpec;
import java.util.Arrays;

/**
 * Shape of a FLUX transformer. {@link #spec()} lists its weights under the original (BFL
 * single-file) names, which are this project's canonical names.
 *
 * @param axesDim RoPE widths per id axis (always-0 axis, row, column); they sum to the head width
 * @param guidanceEmbed dev has a guidance embedding; schnell has none
 */
public record FluxConfig(int inChannels, int hidden, int heads, int mlpHidden, int doubleBlocks, int singleBlocks,
        int[] axesDim, double theta, int contextDim, int vecDim, boolean guidanceEmbed) {

    public FluxConfig {
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("hidden " + hidden + " is not divisible by heads " + heads);
        }
        if (Arrays.stream(axesDim).sum() != hidden / heads) {
            throw new IllegalArgumentException("RoPE axes " + Arrays.toString(axesDim) + " must sum to the head width "
                    + hidden / heads);
        }
    }

    public static FluxConfig dev() {
        return new FluxConfig(64, 3072, 24, 12288, 19, 38, new int[] {16, 56, 56}, 10000, 4096, 768, true);
    }

    public static FluxConfig schnell() {
        return new FluxConfig(64, 3072, 24, 12288, 19, 38, new int[] {16, 56, 56}, 10000, 4096, 768, false);
    }

    /** FLUX's proportions of RoPE axes for any head width: 1/8 for axis 0, the rest split evenly. */
    public static int[] axesFor(int headDim) {
        int first = headDim / 8;
        int rest = (headDim - first) / 2;
        if (first % 2 != 0 || rest % 2 != 0 || first + 2 * rest != headDim) {
            throw new IllegalArgumentException("cannot derive RoPE axes for head width " + headDim);
        }
        return new int[] {first, rest, rest};
    }

    public int headDim() {
        return hidden / heads;
    }

    public WeightSpec spec() {
        WeightSpec s = new WeightSpec();
        int h = hidden;
        s.linear("img_in", inChannels, h);
        s.linear("time_in.in_layer", TimestepEmbedding.WIDTH, h).linear("time_in.out_layer", h, h);
        s.linear("vector_in.in_layer", vecDim, h).linear("vector_in.out_layer", h, h);
        if (guidanceEmbed) {
            s.linear("guidance_in.in_layer", TimestepEmbedding.WIDTH, h).linear("guidance_in.out_layer", h, h);
        }
        s.linear("txt_in", contextDim, h);
        for (int i = 0; i < doubleBlocks; i++) {
            String b = "double_blocks." + i + ".";
            for (String stream : new String[] {"img", "txt"}) {
                s.linear(b + stream + "_mod.lin", h, 6L * h);
                s.linear(b + stream + "_attn.qkv", h, 3L * h);
                s.add(b + stream + "_attn.norm.query_norm.scale", headDim());
                s.add(b + stream + "_attn.norm.key_norm.scale", headDim());
                s.linear(b + stream + "_attn.proj", h, h);
                s.linear(b + stream + "_mlp.0", h, mlpHidden);
                s.linear(b + stream + "_mlp.2", mlpHidden, h);
            }
        }
        for (int i = 0; i < singleBlocks; i++) {
            String b = "single_blocks." + i + ".";
            s.linear(b + "linear1", h, 3L * h + mlpHidden);
            s.linear(b + "linear2", (long) h + mlpHidden, h);
            s.add(b + "norm.query_norm.scale", headDim());
            s.add(b + "norm.key_norm.scale", headDim());
            s.linear(b + "modulation.lin", h, 3L * h);
        }
        s.linear("final_layer.linear", h, inChannels);
        s.linear("final_layer.adaLN_modulation.1", h, 2L * h);
        return s;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FluxConfig c && c.inChannels == inChannels && c.hidden == hidden && c.heads == heads
                && c.mlpHidden == mlpHidden && c.doubleBlocks == doubleBlocks && c.singleBlocks == singleBlocks
                && Arrays.equals(c.axesDim, axesDim) && c.theta == theta && c.contextDim == contextDim
                && c.vecDim == vecDim && c.guidanceEmbed == guidanceEmbed;
    }

    @Override
    public int hashCode() {
        return hidden * 31 + doubleBlocks * 7 + singleBlocks;
    }

    @Override
    public String toString() {
        return "FluxConfig[hidden=" + hidden + ", heads=" + heads + ", mlp=" + mlpHidden + ", double=" + doubleBlocks
                + ", single=" + singleBlocks + ", axes=" + Arrays.toString(axesDim) + ", context=" + contextDim
                + ", vec=" + vecDim + ", guidance=" + guidanceEmbed + "]";
    }
}
