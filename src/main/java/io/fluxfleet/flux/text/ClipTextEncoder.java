package io.fluxfleet.flux.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.Linear;
import io.fluxfleet.tensor.ShardedSafetensors;
import io.fluxfleet.tensor.TensorSource;
import java.nio.file.Path;

/**
 * CLIP text transformer, as far as FLUX uses it: token + position embeddings, pre-LN layers
 * with causal self-attention and a quick-GELU MLP, final LayerNorm, then the hidden state at
 * the EOS token (the first position of the largest id) as the pooled vector. No projection.
 */
public final class ClipTextEncoder implements AutoCloseable {

    private final ClipTextConfig config;
    private final Weights weights;
    private final Kernels kernels;
    private final DataType type;

    public ClipTextEncoder(ClipTextConfig config, Weights weights, ComputePolicy policy) {
        this.config = config;
        this.weights = weights;
        this.kernels = policy.kernels();
        this.type = policy.textEncoderType();
    }

    /** Loads text_encoder/ (one file, or shards with or without an index JSON). */
    public static ClipTextEncoder load(Path componentDir, ClipTextConfig config, ComputePolicy policy) {
        try (TensorSource source = ShardedSafetensors.openDirectory(componentDir)) {
            Weights w = WeightLoader.load(source, config.spec(), Layout.CANONICAL, "CLIP text encoder",
                    policy.device(), policy.textEncoderType());
            return new ClipTextEncoder(config, w, policy);
        }
    }

    public ClipTextConfig config() {
        return config;
    }

    /**
     * The pooled state [1, width] of one prompt's token ids (BOS ... EOS, padded; at most
     * maxPositions). The result belongs to the encoder's manager: close it when done with it.
     */
    public NDArray pooled(long[] ids) {
        return pooled(new long[][] {ids});
    }

    /** The pooled states [B, width] of B prompts of equal length. */
    public NDArray pooled(long[][] batch) {
        int len = TokenBatch.check(batch, config.vocabSize(), config.maxPositions(), "CLIP");
        return weights.computeScoped(step -> forward(step, batch, len));
    }

    private NDArray forward(NDManager step, long[][] batch, int len) {
        int b = batch.length;
        NDArray ids = TokenBatch.toArray(step, batch);
        Weights emb = weights.scope("text_model.embeddings");
        NDArray tokens = emb.get("token_embedding.weight").get(step, new NDIndex("{}", ids)); // [B, L, W]
        NDArray positions = emb.get("position_embedding.weight").get(step, new NDIndex().addSliceDim(0, len)); // [L, W]
        NDArray x = tokens.add(positions); // [B, L, W]
        NDArray mask = causalMask(step, len); // [1, 1, L, L]

        for (int i = 0; i < config.layers(); i++) {
            try (NDManager layer = step.newSubManager()) {
                x.attach(layer); // the layer's input is freed with its intermediates
                NDArray next = layer(weights.scope("text_model.encoder.layers." + i), x, mask);
                next.attach(step);
                x = next;
            }
        }

        // Final LN is per token, so normalising only the EOS rows gives the same pooled state.
        NDList rows = new NDList();
        for (int r = 0; r < b; r++) {
            rows.add(x.get(r, eosPosition(batch[r]))); // [W]
        }
        NDArray eos = NDArrays.stack(rows, 0); // [B, W]
        return layerNorm(eos, weights.scope("text_model.final_layer_norm"));
    }

    /** Pre-LN block: x + attn(LN1 x), then + fc2(quickGelu(fc1(LN2 x))). x: [B, L, W]. */
    private NDArray layer(Weights w, NDArray x, NDArray mask) {
        NDArray h = layerNorm(x, w.scope("layer_norm1"));
        x = x.add(selfAttention(w.scope("self_attn"), h, mask));
        h = layerNorm(x, w.scope("layer_norm2"));
        NDArray m = Linear.of(w, "mlp.fc1").apply(h); // [B, L, mlp]
        m = m.mul(Activation.sigmoid(m.mul(1.702f))); // quick GELU
        return x.add(Linear.of(w, "mlp.fc2").apply(m));
    }

    private NDArray selfAttention(Weights w, NDArray h, NDArray mask) {
        long b = h.getShape().get(0);
        long len = h.getShape().get(1);
        NDArray q = heads(Linear.of(w, "q_proj").apply(h), b, len); // [B, H, L, D]
        NDArray k = heads(Linear.of(w, "k_proj").apply(h), b, len);
        NDArray v = heads(Linear.of(w, "v_proj").apply(h), b, len);
        NDArray o = kernels.attention(q, k, v, mask, 1.0 / Math.sqrt(config.headWidth())); // [B, H, L, D]
        o = o.transpose(0, 2, 1, 3).reshape(b, len, config.width()); // [B, L, W]
        return Linear.of(w, "out_proj").apply(o);
    }

    /** [B, L, W] -> [B, H, L, D]. */
    private NDArray heads(NDArray x, long b, long len) {
        return x.reshape(b, len, config.heads(), config.headWidth()).transpose(0, 2, 1, 3);
    }

    private NDArray layerNorm(NDArray x, Weights w) {
        return kernels.layerNorm(x, config.eps()).mul(w.get("weight")).add(w.get("bias"));
    }

    /** Additive causal bias: 0 on and below the diagonal, -inf above (a query sees no later key). */
    private NDArray causalMask(NDManager step, int len) {
        float[] bias = new float[len * len];
        for (int q = 0; q < len; q++) {
            for (int k = q + 1; k < len; k++) {
                bias[q * len + k] = Float.NEGATIVE_INFINITY;
            }
        }
        return step.create(bias, new Shape(1, 1, len, len)).toType(type, false);
    }

    /** The EOS token has the largest id in CLIP's vocab: its first occurrence, like torch.argmax. */
    static int eosPosition(long[] ids) {
        int best = 0;
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] > ids[best]) {
                best = i;
            }
        }
        return best;
    }

    @Override
    public void close() {
        weights.close();
    }
}
