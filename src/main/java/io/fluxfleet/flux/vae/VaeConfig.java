package io.fluxfleet.flux.vae;

import io.fluxfleet.flux.checkpoint.WeightSpec;
import java.util.List;

/**
 * Shape of the FLUX autoencoder's decoder (BFL {@code ae.safetensors}, diffusers {@code vae/}).
 *
 * <p>Level {@code i} (0 = full resolution) has {@code baseChannels * channelMultipliers[i]}
 * channels. The decoder applies the levels from the last (lowest resolution) to level 0; every
 * level except 0 ends with a nearest-2x upsample and a 3x3 conv, so the image is
 * {@code 2^(levels-1)} times the latent in each direction.
 *
 * @param resBlocksPerLevel ResNet blocks per decoder level; the decoder uses the autoencoder's
 *     {@code num_res_blocks + 1} (2 + 1 = 3 for FLUX)
 * @param scalingFactor the latent is divided by it before decoding
 * @param shiftFactor and then shifted by it
 */
public record VaeConfig(int baseChannels, List<Integer> channelMultipliers, int resBlocksPerLevel,
        int latentChannels, int outChannels, int groups, float scalingFactor, float shiftFactor) {

    /** GroupNorm epsilon of every norm in the autoencoder. */
    public static final float GROUP_NORM_EPS = 1e-6f;

    public VaeConfig {
        channelMultipliers = List.copyOf(channelMultipliers);
        if (channelMultipliers.isEmpty() || baseChannels <= 0 || resBlocksPerLevel <= 0 || latentChannels <= 0
                || outChannels <= 0 || groups <= 0) {
            throw new IllegalArgumentException("invalid VAE config: " + channelMultipliers + ", base " + baseChannels);
        }
        for (int m : channelMultipliers) {
            if (m <= 0 || baseChannels * m % groups != 0) {
                throw new IllegalArgumentException("VAE level width " + baseChannels * m
                        + " is not a positive multiple of the GroupNorm group count " + groups);
            }
        }
    }

    /** FLUX.1 dev / schnell: 49.5M decoder parameters. */
    public static VaeConfig flux() {
        return new VaeConfig(128, List.of(1, 2, 4, 4), 3, 16, 3, 32, 0.3611f, 0.1159f);
    }

    /** Same structure, narrow: untrained test and demo checkpoints (a 256x256 decode in well under a second on CPU). */
    public static VaeConfig tiny() {
        return new VaeConfig(32, List.of(1, 1, 2, 2), 3, 16, 3, 8, 0.3611f, 0.1159f);
    }

    public int levels() {
        return channelMultipliers.size();
    }

    /** Output channels of level {@code i}. */
    public int levelChannels(int level) {
        return baseChannels * channelMultipliers.get(level);
    }

    /** Width of conv_in's output, the mid blocks and the first level applied. */
    public int midChannels() {
        return levelChannels(levels() - 1);
    }

    /** Image pixels per latent pixel in each direction (8 for FLUX). */
    public int upscale() {
        return 1 << (levels() - 1);
    }

    /** The decoder's tensors under their original {@code ae.safetensors} names (the canonical names). */
    public WeightSpec spec() {
        WeightSpec s = new WeightSpec();
        int mid = midChannels();
        conv(s, "decoder.conv_in", latentChannels, mid, 3);
        resnet(s, "decoder.mid.block_1", mid, mid);
        norm(s, "decoder.mid.attn_1.norm", mid);
        for (String p : new String[] {"q", "k", "v", "proj_out"}) {
            conv(s, "decoder.mid.attn_1." + p, mid, mid, 1);
        }
        resnet(s, "decoder.mid.block_2", mid, mid);
        int in = mid;
        for (int i = levels() - 1; i >= 0; i--) {
            int out = levelChannels(i);
            for (int j = 0; j < resBlocksPerLevel; j++) {
                resnet(s, "decoder.up." + i + ".block." + j, in, out);
                in = out;
            }
            if (i != 0) {
                conv(s, "decoder.up." + i + ".upsample.conv", out, out, 3);
            }
        }
        norm(s, "decoder.norm_out", in);
        conv(s, "decoder.conv_out", in, outChannels, 3);
        return s;
    }

    private static void resnet(WeightSpec s, String prefix, int in, int out) {
        norm(s, prefix + ".norm1", in);
        conv(s, prefix + ".conv1", in, out, 3);
        norm(s, prefix + ".norm2", out);
        conv(s, prefix + ".conv2", out, out, 3);
        if (in != out) {
            conv(s, prefix + ".nin_shortcut", in, out, 1);
        }
    }

    private static void conv(WeightSpec s, String prefix, int in, int out, int k) {
        s.add(prefix + ".weight", out, in, k, k);
        s.add(prefix + ".bias", out);
    }

    private static void norm(WeightSpec s, String prefix, int channels) {
        s.add(prefix + ".weight", channels);
        s.add(prefix + ".bias", channels);
    }
}
