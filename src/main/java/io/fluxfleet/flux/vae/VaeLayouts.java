package io.fluxfleet.flux.vae;

import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two ways a FLUX VAE decoder is stored.
 *
 * <ul>
 *   <li>{@link #ORIGINAL}: BFL's {@code ae.safetensors}; its names are the canonical names.
 *   <li>{@link #DIFFUSERS}: {@code vae/diffusion_pytorch_model.safetensors} of the Hugging Face
 *       repository: {@code mid} becomes {@code mid_block.resnets.{0,1}} and
 *       {@code mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0}} (the projections stored
 *       as Linear [C, C] instead of 1x1 conv [C, C, 1, 1]); {@code up.i} becomes
 *       {@code up_blocks.(levels-1-i)} (diffusers numbers the levels in the order they are
 *       applied) with {@code resnets.j}, {@code conv_shortcut} for {@code nin_shortcut} and
 *       {@code upsamplers.0.conv}; {@code norm_out} becomes {@code conv_norm_out}.
 * </ul>
 * Encoder tensors, which both files also hold, are not part of the decoder's spec and are ignored.
 */
public enum VaeLayouts implements Layout {

    ORIGINAL {
        @Override
        public List<Recipe> recipes(WeightSpec spec, Set<String> storedNames) {
            return Layout.CANONICAL.recipes(spec, storedNames);
        }
    },

    DIFFUSERS {
        @Override
        public List<Recipe> recipes(WeightSpec spec, Set<String> storedNames) {
            int levels = levels(spec);
            List<Recipe> out = new ArrayList<>();
            for (Map.Entry<String, long[]> e : spec.shapes().entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                String stored = diffusersName(name, levels);
                if (ATTENTION_PROJECTION.matcher(name).matches()) {
                    out.add(Recipe.reshape(name, shape, stored, new long[] {shape[0], shape[1]}));
                } else {
                    out.add(Recipe.rename(name, shape, stored));
                }
            }
            return out;
        }
    };

    private static final Pattern UP = Pattern.compile("decoder\\.up\\.(\\d+)\\.(.*)");
    private static final Pattern UP_BLOCK = Pattern.compile("block\\.(\\d+)\\.(.*)");
    private static final Pattern ATTENTION_PROJECTION =
            Pattern.compile("decoder\\.mid\\.attn_1\\.(q|k|v|proj_out)\\.weight");

    /**
     * The diffusers name of a canonical (original) decoder tensor name.
     *
     * @param levels number of resolution levels of the decoder (4 for FLUX)
     */
    public static String diffusersName(String canonical, int levels) {
        Matcher up = UP.matcher(canonical);
        if (up.matches()) {
            int level = Integer.parseInt(up.group(1));
            String prefix = "decoder.up_blocks." + (levels - 1 - level) + ".";
            String rest = up.group(2);
            Matcher block = UP_BLOCK.matcher(rest);
            if (block.matches()) {
                return prefix + "resnets." + block.group(1) + "." + resnetPart(block.group(2));
            }
            if (rest.startsWith("upsample.conv.")) {
                return prefix + "upsamplers.0.conv." + rest.substring("upsample.conv.".length());
            }
            throw new IllegalArgumentException("not a VAE decoder tensor: " + canonical);
        }
        if (canonical.startsWith("decoder.mid.block_1.")) {
            return "decoder.mid_block.resnets.0." + resnetPart(canonical.substring("decoder.mid.block_1.".length()));
        }
        if (canonical.startsWith("decoder.mid.block_2.")) {
            return "decoder.mid_block.resnets.1." + resnetPart(canonical.substring("decoder.mid.block_2.".length()));
        }
        if (canonical.startsWith("decoder.mid.attn_1.")) {
            String rest = canonical.substring("decoder.mid.attn_1.".length());
            int dot = rest.indexOf('.');
            String module = switch (rest.substring(0, dot)) {
                case "norm" -> "group_norm";
                case "q" -> "to_q";
                case "k" -> "to_k";
                case "v" -> "to_v";
                case "proj_out" -> "to_out.0";
                default -> throw new IllegalArgumentException("not a VAE decoder tensor: " + canonical);
            };
            return "decoder.mid_block.attentions.0." + module + rest.substring(dot);
        }
        if (canonical.startsWith("decoder.norm_out.")) {
            return "decoder.conv_norm_out." + canonical.substring("decoder.norm_out.".length());
        }
        if (canonical.startsWith("decoder.conv_in.") || canonical.startsWith("decoder.conv_out.")) {
            return canonical;
        }
        throw new IllegalArgumentException("not a VAE decoder tensor: " + canonical);
    }

    private static String resnetPart(String rest) {
        return rest.startsWith("nin_shortcut.") ? "conv_shortcut." + rest.substring("nin_shortcut.".length()) : rest;
    }

    private static int levels(WeightSpec spec) {
        int max = -1;
        for (String name : spec.shapes().keySet()) {
            Matcher m = UP.matcher(name);
            if (m.matches()) {
                max = Math.max(max, Integer.parseInt(m.group(1)));
            }
        }
        if (max < 0) {
            throw new IllegalArgumentException("the spec has no decoder.up.* tensors: not a VAE decoder spec");
        }
        return max + 1;
    }

    /** Which layout a checkpoint's names are in, from its decoder tensor names. */
    public static VaeLayouts detect(Set<String> storedNames) {
        boolean diffusers = false;
        boolean original = false;
        for (String n : storedNames) {
            diffusers |= n.startsWith("decoder.mid_block.") || n.startsWith("decoder.up_blocks.");
            original |= n.startsWith("decoder.mid.") || n.startsWith("decoder.up.");
        }
        if (diffusers == original) {
            throw new CheckpointException(diffusers
                    ? "VAE checkpoint mixes original (decoder.mid.*) and diffusers (decoder.mid_block.*) names"
                    : "no VAE decoder tensors (decoder.mid.* or decoder.mid_block.*) in the checkpoint");
        }
        return diffusers ? DIFFUSERS : ORIGINAL;
    }
}
