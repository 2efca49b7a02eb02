package io.fluxfleet.flux.text;

import io.fluxfleet.flux.checkpoint.WeightSpec;

/**
 * Shape of the T5 v1.1 encoder (FLUX's text_encoder_2/, T5-XXL) and its weight names in the
 * Hugging Face T5EncoderModel layout. The attention inner width is heads * dKv (equal to dModel
 * for XXL, but it need not be).
 */
public record T5Config(int vocabSize, int dModel, int layers, int heads, int dKv, int dFf, int buckets,
        int maxDistance, float eps) {

    public T5Config {
        if (buckets % 4 != 0) {
            throw new IllegalArgumentException("relative attention buckets must be a multiple of 4, got " + buckets);
        }
    }

    public static T5Config xxl() {
        return new T5Config(32128, 4096, 24, 64, 64, 10240, 32, 128, 1e-6f);
    }

    /** A tiny model for tests and demos; {@code vocabSize} matches the tokenizer it is paired with. */
    public static T5Config tiny(int vocabSize) {
        return new T5Config(vocabSize, 32, 2, 4, 8, 48, 32, 128, 1e-6f);
    }

    public int innerWidth() {
        return heads * dKv;
    }

    public WeightSpec spec() {
        WeightSpec s = new WeightSpec();
        s.add("shared.weight", vocabSize, dModel);
        for (int i = 0; i < layers; i++) {
            String attn = "encoder.block." + i + ".layer.0.";
            s.add(attn + "layer_norm.weight", dModel);
            s.add(attn + "SelfAttention.q.weight", innerWidth(), dModel);
            s.add(attn + "SelfAttention.k.weight", innerWidth(), dModel);
            s.add(attn + "SelfAttention.v.weight", innerWidth(), dModel);
            s.add(attn + "SelfAttention.o.weight", dModel, innerWidth());
            if (i == 0) { // the only position-bias table; every layer reuses it
                s.add(attn + "SelfAttention.relative_attention_bias.weight", buckets, heads);
            }
            String ff = "encoder.block." + i + ".layer.1.";
            s.add(ff + "layer_norm.weight", dModel);
            s.add(ff + "DenseReluDense.wi_0.weight", dFf, dModel);
            s.add(ff + "DenseReluDense.wi_1.weight", dFf, dModel);
            s.add(ff + "DenseReluDense.wo.weight", dModel, dFf);
        }
        s.add("encoder.final_layer_norm.weight", dModel);
        return s;
    }
}
