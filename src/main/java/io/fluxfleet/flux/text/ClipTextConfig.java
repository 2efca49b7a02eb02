package io.fluxfleet.flux.text;

import io.fluxfleet.flux.checkpoint.WeightSpec;

/**
 * Shape of the CLIP text transformer (FLUX uses CLIP-L's pooled state as its 768-wide vector
 * input) and its weight names in the Hugging Face CLIPTextModel layout.
 */
public record ClipTextConfig(int vocabSize, int width, int layers, int heads, int mlpWidth, int maxPositions,
        float eps) {

    public ClipTextConfig {
        if (width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " is not a multiple of heads " + heads);
        }
    }

    /** CLIP ViT-L/14's text model, FLUX's text_encoder/. */
    public static ClipTextConfig large() {
        return new ClipTextConfig(49408, 768, 12, 12, 3072, 77, 1e-5f);
    }

    /**
     * A tiny model for tests and demos; {@code vocabSize} is the size of the tokenizer it is
     * paired with (the tiny tokenizer files), so every token id has an embedding row.
     */
    public static ClipTextConfig tiny(int vocabSize) {
        return new ClipTextConfig(vocabSize, 32, 2, 4, 64, 77, 1e-5f);
    }

    public int headWidth() {
        return width / heads;
    }

    /** Canonical names are the Hugging Face CLIPTextModel names (text_encoder/ of the diffusers repo). */
    public WeightSpec spec() {
        WeightSpec s = new WeightSpec();
        s.add("text_model.embeddings.token_embedding.weight", vocabSize, width);
        s.add("text_model.embeddings.position_embedding.weight", maxPositions, width);
        for (int i = 0; i < layers; i++) {
            String p = "text_model.encoder.layers." + i + ".";
            s.add(p + "layer_norm1.weight", width).add(p + "layer_norm1.bias", width);
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                s.linear(p + "self_attn." + proj, width, width);
            }
            s.add(p + "layer_norm2.weight", width).add(p + "layer_norm2.bias", width);
            s.linear(p + "mlp.fc1", width, mlpWidth);
            s.linear(p + "mlp.fc2", mlpWidth, width);
        }
        s.add("text_model.final_layer_norm.weight", width).add("text_model.final_layer_norm.bias", width);
        return s;
    }
}
