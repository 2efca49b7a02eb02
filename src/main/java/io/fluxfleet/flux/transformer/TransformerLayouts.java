package io.fluxfleet.flux.transformer;

import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two ways FLUX transformer weights are stored. ORIGINAL is BFL's single file (our
 * canonical names). DIFFUSERS is the Hugging Face transformer/ folder: renamed modules,
 * separate q/k/v matrices instead of fused qkv (and, in single blocks, q/k/v + proj_mlp instead
 * of linear1), and the final modulation stored as (scale, shift) instead of (shift, scale).
 */
public final class TransformerLayouts {

    private TransformerLayouts() {}

    public static final Layout ORIGINAL = Layout.CANONICAL;

    /** Canonical module -> diffusers module, for the plain renames (weight and bias alike). */
    private static final Map<String, String> RENAMES = new LinkedHashMap<>();

    static {
        RENAMES.put("img_in", "x_embedder");
        RENAMES.put("txt_in", "context_embedder");
        RENAMES.put("time_in.in_layer", "time_text_embed.timestep_embedder.linear_1");
        RENAMES.put("time_in.out_layer", "time_text_embed.timestep_embedder.linear_2");
        RENAMES.put("vector_in.in_layer", "time_text_embed.text_embedder.linear_1");
        RENAMES.put("vector_in.out_layer", "time_text_embed.text_embedder.linear_2");
        RENAMES.put("guidance_in.in_layer", "time_text_embed.guidance_embedder.linear_1");
        RENAMES.put("guidance_in.out_layer", "time_text_embed.guidance_embedder.linear_2");
        RENAMES.put("final_layer.linear", "proj_out");
        // double block N (prefix substituted below)
        RENAMES.put("img_mod.lin", "norm1.linear");
        RENAMES.put("txt_mod.lin", "norm1_context.linear");
        RENAMES.put("img_attn.norm.query_norm.scale", "attn.norm_q.weight");
        RENAMES.put("img_attn.norm.key_norm.scale", "attn.norm_k.weight");
        RENAMES.put("txt_attn.norm.query_norm.scale", "attn.norm_added_q.weight");
        RENAMES.put("txt_attn.norm.key_norm.scale", "attn.norm_added_k.weight");
        RENAMES.put("img_attn.proj", "attn.to_out.0");
        RENAMES.put("txt_attn.proj", "attn.to_add_out");
        RENAMES.put("img_mlp.0", "ff.net.0.proj");
        RENAMES.put("img_mlp.2", "ff.net.2");
        RENAMES.put("txt_mlp.0", "ff_context.net.0.proj");
        RENAMES.put("txt_mlp.2", "ff_context.net.2");
        // single block N
        RENAMES.put("linear2", "proj_out");
        RENAMES.put("norm.query_norm.scale", "attn.norm_q.weight");
        RENAMES.put("norm.key_norm.scale", "attn.norm_k.weight");
        RENAMES.put("modulation.lin", "norm.linear");
    }

    private static final Pattern DOUBLE = Pattern.compile("double_blocks\\.(\\d+)\\.(.+)");
    private static final Pattern SINGLE = Pattern.compile("single_blocks\\.(\\d+)\\.(.+)");

    public static final Layout DIFFUSERS = TransformerLayouts::diffusersRecipes;

    private static List<Recipe> diffusersRecipes(WeightSpec spec, java.util.Set<String> stored) {
        List<Recipe> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : spec.shapes().entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            String suffix = name.endsWith(".weight") ? ".weight" : name.endsWith(".bias") ? ".bias" : "";
            String module = name.substring(0, name.length() - suffix.length());
            Matcher d = DOUBLE.matcher(module);
            Matcher s = SINGLE.matcher(module);
            if (d.matches()) {
                String prefix = "transformer_blocks." + d.group(1) + ".";
                String local = d.group(2);
                if (local.equals("img_attn.qkv")) {
                    out.add(rows(name, shape, prefix, suffix, "attn.to_q", "attn.to_k", "attn.to_v"));
                } else if (local.equals("txt_attn.qkv")) {
                    out.add(rows(name, shape, prefix, suffix, "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"));
                } else {
                    out.add(Recipe.rename(name, shape, prefix + renamed(name, local, suffix)));
                }
            } else if (s.matches()) {
                String prefix = "single_transformer_blocks." + s.group(1) + ".";
                String local = s.group(2);
                if (local.equals("linear1")) {
                    out.add(linear1(name, shape, prefix, suffix, spec));
                } else {
                    out.add(Recipe.rename(name, shape, prefix + renamed(name, local, suffix)));
                }
            } else if (module.equals("final_layer.adaLN_modulation.1")) {
                out.add(Recipe.swapHalves(name, shape, "norm_out.linear" + suffix));
            } else {
                out.add(Recipe.rename(name, shape, renamed(name, module, suffix)));
            }
        }
        return out;
    }

    /** Plain renames; QK-norm scales have no .weight/.bias suffix, so their whole name maps. */
    private static String renamed(String full, String module, String suffix) {
        String m = RENAMES.get(module);
        if (m == null) {
            throw new IllegalStateException("no diffusers name for transformer weight " + full);
        }
        return m + suffix;
    }

    /** Fused q, k, v rows from three separate [H, H] matrices (and biases). */
    private static Recipe rows(String name, long[] shape, String prefix, String suffix, String... parts) {
        long each = shape[0] / parts.length;
        List<String> sources = new ArrayList<>();
        List<long[]> shapes = new ArrayList<>();
        for (String p : parts) {
            sources.add(prefix + p + suffix);
            shapes.add(shape.length == 2 ? new long[] {each, shape[1]} : new long[] {each});
        }
        return Recipe.concatRows(name, shape, sources, shapes);
    }

    /** Single block linear1 rows: q, k, v (hidden each) then the MLP input (mlpHidden). */
    private static Recipe linear1(String name, long[] shape, String prefix, String suffix, WeightSpec spec) {
        long hidden = shape.length == 2 ? shape[1] : (shape[0] - mlpRows(spec)) / 3;
        long mlp = shape[0] - 3 * hidden;
        List<String> sources = List.of(prefix + "attn.to_q" + suffix, prefix + "attn.to_k" + suffix,
                prefix + "attn.to_v" + suffix, prefix + "proj_mlp" + suffix);
        long[] rowsEach = {hidden, hidden, hidden, mlp};
        List<long[]> shapes = new ArrayList<>();
        for (long r : rowsEach) {
            shapes.add(shape.length == 2 ? new long[] {r, shape[1]} : new long[] {r});
        }
        return Recipe.concatRows(name, shape, sources, shapes);
    }

    private static long mlpRows(WeightSpec spec) {
        long[] w = spec.shape("single_blocks.0.linear1.weight");
        return w[0] - 3 * w[1];
    }
}
