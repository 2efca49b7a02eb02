package io.fluxfleet.flux.lora;

import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.TransformerLayouts;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where an adapter's module names land in the engine's own layout. Built from the same mapping
 * table that loads diffusers checkpoints, so the two can never disagree: a diffusers module
 * (attn.to_k of double block 3) is a row block of a canonical layer (rows H..2H of
 * double_blocks.3.img_attn.qkv); norm_out.linear is the final modulation with its halves swapped.
 * Kohya names are the same modules with dots written as underscores.
 */
public final class LoraTargets {

    /**
     * Rows {@code [rowOffset, rowOffset + rows)} of canonical layer {@code layer} ([out, in]).
     *
     * @param swapHalves the stored rows are (scale, shift) where the engine keeps (shift, scale)
     */
    public record Part(String layer, long out, long in, long rowOffset, long rows, boolean swapHalves) {}

    private static final String KOHYA_CANONICAL = "lora_unet_";
    private static final String KOHYA_DIFFUSERS = "lora_transformer_";
    /** Wrappers that trainers put in front of module names (PEFT, diffusers, ComfyUI). */
    private static final List<String> WRAPPERS = List.of("base_model.model.", "model.diffusion_model.",
            "diffusion_model.", "transformer.", "unet.");

    private final Map<String, Part> canonical = new HashMap<>();
    private final Map<String, Part> diffusers = new HashMap<>();
    private final Map<String, Part> kohya = new HashMap<>();

    public LoraTargets(FluxConfig config) {
        WeightSpec spec = config.spec();
        for (Recipe r : TransformerLayouts.DIFFUSERS.recipes(spec, Set.of())) {
            long[] shape = r.targetShape();
            if (!r.target().endsWith(".weight") || shape.length != 2) {
                continue; // biases and norm scales have no adapters
            }
            String layer = strip(r.target());
            canonical.put(layer, new Part(layer, shape[0], shape[1], 0, shape[0], false));
            long offset = 0;
            for (int i = 0; i < r.sources().size(); i++) {
                long rows = r.sourceShapes().get(i)[0];
                diffusers.put(strip(r.sources().get(i)), new Part(layer, shape[0], shape[1], offset, rows,
                        r.op() == Recipe.Op.SWAP_HALVES));
                offset += rows;
            }
        }
        canonical.forEach((name, part) -> kohya.put(KOHYA_CANONICAL + name.replace('.', '_'), part));
        diffusers.forEach((name, part) -> kohya.put(KOHYA_DIFFUSERS + name.replace('.', '_'), part));
    }

    /** True for module names of CLIP or T5 layers (kohya lora_te*, diffusers text_encoder*). */
    public static boolean isTextEncoder(String module) {
        return module.startsWith("lora_te") || module.startsWith("text_encoder") || module.startsWith("te_")
                || module.startsWith("text_encoders.");
    }

    /** The part an adapter module (without its lora_A/lora_down/alpha suffix) changes, or null. */
    public Part find(String module) {
        if (module.startsWith("lora_")) {
            return kohya.get(module);
        }
        String name = module;
        for (boolean stripped = true; stripped; ) {
            stripped = false;
            for (String w : WRAPPERS) {
                if (name.startsWith(w)) {
                    name = name.substring(w.length());
                    stripped = true;
                }
            }
        }
        Part p = diffusers.get(name);
        return p != null ? p : canonical.get(name);
    }

    private static String strip(String weightName) {
        return weightName.substring(0, weightName.length() - ".weight".length());
    }
}
