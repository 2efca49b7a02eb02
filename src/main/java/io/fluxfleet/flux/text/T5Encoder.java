package io.fluxfleet.flux.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.Linear;
import io.fluxfleet.tensor.ShardedSafetensors;
import io.fluxfleet.tensor.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * T5 v1.1 encoder, FLUX's text context: embedding, then per block RMSNorm -> self-attention
 * (unscaled scores plus the relative position bias of block 0, shared by all blocks, no mask:
 * FLUX attends padding) -> residual, RMSNorm -> gated tanh-GELU FF -> residual; final RMSNorm.
 *
 * <p>In fp16 (when the policy asks for it) the FF output projection runs in fp32 and every
 * residual sum is clamped to the fp16 range before going back to fp16, the known T5 guard.
 */
public final class T5Encoder implements AutoCloseable {

    private static final String POSITION_TABLE = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";

    private final T5Config config;
    private final Weights weights;
    private final Kernels kernels;
    private final boolean fp16;
    /** fp16 only: fp32 copies of each block's wo weight (from fp16-loaded, i.e. bf16-exact values). */
    private final List<NDArray> woFp32 = new ArrayList<>();

    public T5Encoder(T5Config config, Weights weights, ComputePolicy policy) {
        this.config = config;
        this.weights = weights;
        this.kernels = policy.kernels();
        this.fp16 = policy.textEncoderType() == DataType.FLOAT16;
        if (fp16) {
            for (int i = 0; i < config.layers(); i++) {
                NDArray wo = weights.get(block(i) + ".layer.1.DenseReluDense.wo.weight").toType(DataType.FLOAT32, true);
                wo.attach(weights.manager());
                woFp32.add(wo);
            }
        }
    }

    /** Loads text_encoder_2/ (shards and index JSON, or plain files). */
    public static T5Encoder load(Path componentDir, T5Config config, ComputePolicy policy) {
        try (TensorSource source = ShardedSafetensors.openDirectory(componentDir)) {
            Weights w = WeightLoader.load(source, config.spec(), T5Layout.INSTANCE, "T5 text encoder",
                    policy.device(), policy.textEncoderType());
            return new T5Encoder(config, w, policy);
        }
    }

    public T5Config config() {
        return config;
    }

    /**
     * The hidden states [1, L, dModel] of one prompt's ids (padded to the sequence length). The
     * result belongs to the encoder's manager: close it when done with it.
     */
    public NDArray encode(long[] ids) {
        return encode(new long[][] {ids});
    }

    /** The hidden states [B, L, dModel] of B prompts of equal length. */
    public NDArray encode(long[][] batch) {
        int len = TokenBatch.check(batch, config.vocabSize(), Integer.MAX_VALUE, "T5");
        return weights.computeScoped(step -> forward(step, batch, len));
    }

    private NDArray forward(NDManager step, long[][] batch, int len) {
        NDArray ids = TokenBatch.toArray(step, batch);
        NDArray x = weights.get("shared.weight").get(step, new NDIndex("{}", ids)); // [B, L, dModel]
        NDArray bias = positionBias(step, len); // [1, H, L, L]
        for (int i = 0; i < config.layers(); i++) {
            try (NDManager layer = step.newSubManager()) {
                x.attach(layer); // the block's input is freed with its intermediates
                NDArray next = block(i, x, bias);
                next.attach(step);
                x = next;
            }
        }
        return kernels.rmsNorm(x, weights.get("encoder.final_layer_norm.weight"), config.eps());
    }

    private NDArray block(int i, NDArray x, NDArray bias) {
        Weights attn = weights.scope(block(i) + ".layer.0");
        Weights ff = weights.scope(block(i) + ".layer.1");
        NDArray h = kernels.rmsNorm(x, attn.get("layer_norm.weight"), config.eps());
        x = residual(x, selfAttention(attn.scope("SelfAttention"), h, bias));
        h = kernels.rmsNorm(x, ff.get("layer_norm.weight"), config.eps());
        return residual(x, feedForward(i, ff.scope("DenseReluDense"), h));
    }

    /** Multi-head attention over [B, L, dModel] with scale 1 (T5 folds 1/sqrt(d) into its weights). */
    private NDArray selfAttention(Weights w, NDArray h, NDArray bias) {
        long b = h.getShape().get(0);
        long len = h.getShape().get(1);
        NDArray q = heads(Linear.of(w, "q").apply(h), b, len); // [B, H, L, dKv]
        NDArray k = heads(Linear.of(w, "k").apply(h), b, len);
        NDArray v = heads(Linear.of(w, "v").apply(h), b, len);
        NDArray o = kernels.attention(q, k, v, bias, 1.0); // [B, H, L, dKv]
        o = o.transpose(0, 2, 1, 3).reshape(b, len, config.innerWidth()); // [B, L, H*dKv]
        return Linear.of(w, "o").apply(o); // [B, L, dModel]
    }

    /** [B, L, H*dKv] -> [B, H, L, dKv]. */
    private NDArray heads(NDArray x, long b, long len) {
        return x.reshape(b, len, config.heads(), config.dKv()).transpose(0, 2, 1, 3);
    }

    /** wo(geluTanh(wi_0 h) * wi_1 h): [B, L, dModel] -> [B, L, dFf] -> [B, L, dModel]. */
    private NDArray feedForward(int i, Weights w, NDArray h) {
        NDArray gate = kernels.geluTanh(Linear.of(w, "wi_0").apply(h));
        NDArray act = gate.mul(Linear.of(w, "wi_1").apply(h));
        if (fp16) {
            return new Linear(woFp32.get(i), null).apply(act.toType(DataType.FLOAT32, false));
        }
        return Linear.of(w, "wo").apply(act);
    }

    /** x + delta; in fp16 summed in fp32 and clamped to +-65504 so no inf reaches the next norm. */
    private NDArray residual(NDArray x, NDArray delta) {
        if (!fp16) {
            return x.add(delta);
        }
        return x.toType(DataType.FLOAT32, false).add(delta.toType(DataType.FLOAT32, false))
                .clip(-ComputePolicy.FP16_MAX, ComputePolicy.FP16_MAX).toType(DataType.FLOAT16, false);
    }

    /** [1, H, L, L]: bias[h, q, k] = table[bucket(k - q), h], from block 0's table. */
    private NDArray positionBias(NDManager step, int len) {
        long[] buckets = new long[len * len];
        for (int q = 0; q < len; q++) {
            for (int k = 0; k < len; k++) {
                buckets[q * len + k] = relativePositionBucket(k - q, config.buckets(), config.maxDistance());
            }
        }
        NDArray index = step.create(buckets, new Shape(len, len));
        NDArray bias = weights.get(POSITION_TABLE).get(step, new NDIndex("{}", index)); // [L, L, H]
        return bias.transpose(2, 0, 1).expandDims(0);
    }

    /**
     * T5's bidirectional bucket of {@code relativePosition = key - query}: half the buckets per
     * direction (the upper half for keys after the query); in each half, distances below a
     * quarter of the buckets get one bucket each, larger ones share log-spaced buckets up to
     * {@code maxDistance}, beyond which all fall in the last bucket. For 32 buckets and 128:
     * (rel > 0 ? 16 : 0) + (n < 8 ? n : min(15, 8 + floor(ln(n / 8) / ln(128 / 8) * 8))).
     */
    public static int relativePositionBucket(int relativePosition, int buckets, int maxDistance) {
        int half = buckets / 2;
        int bucket = relativePosition > 0 ? half : 0;
        int n = Math.abs(relativePosition);
        int maxExact = half / 2;
        if (n < maxExact) {
            return bucket + n;
        }
        double logRatio = Math.log((double) n / maxExact) / Math.log((double) maxDistance / maxExact);
        int large = maxExact + (int) (logRatio * (half - maxExact)); // truncation = floor, logRatio >= 0
        return bucket + Math.min(half - 1, large);
    }

    private static String block(int i) {
        return "encoder.block." + i;
    }

    @Override
    public void close() {
        weights.close();
    }
}
