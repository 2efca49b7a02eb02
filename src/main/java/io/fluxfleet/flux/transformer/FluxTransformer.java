package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.Scopes;
import java.util.ArrayList;
import java.util.List;

/**
 * The FLUX.1 rectified-flow transformer. It takes any subset of image tokens with arbitrary
 * float position ids: position comes only from the ids (RoPE), never from token order, so
 * spatial samplers can send sparse anchor sets or half-offset positions.
 */
public final class FluxTransformer implements AutoCloseable {

    private final FluxConfig config;
    private final ComputePolicy policy;
    private final Kernels kernels;
    private final Weights weights;
    private final ActiveAdapters adapters = new ActiveAdapters();
    private final AdaptedLinear imgIn;
    private final AdaptedLinear txtIn;
    private final MlpEmbedder timeIn;
    private final MlpEmbedder vectorIn;
    private final MlpEmbedder guidanceIn;
    private final List<DoubleStreamBlock> doubleBlocks = new ArrayList<>();
    private final List<SingleStreamBlock> singleBlocks = new ArrayList<>();
    private final LastLayer finalLayer;
    private final RotaryEmbedding rope;

    public FluxTransformer(Weights w, FluxConfig config, ComputePolicy policy) {
        this.config = config;
        this.policy = policy;
        this.kernels = policy.kernels();
        this.weights = w;
        this.imgIn = AdaptedLinear.of(w, "img_in", adapters);
        this.txtIn = AdaptedLinear.of(w, "txt_in", adapters);
        this.timeIn = MlpEmbedder.of(w, "time_in", adapters);
        this.vectorIn = MlpEmbedder.of(w, "vector_in", adapters);
        this.guidanceIn = config.guidanceEmbed() ? MlpEmbedder.of(w, "guidance_in", adapters) : null;
        for (int i = 0; i < config.doubleBlocks(); i++) {
            doubleBlocks.add(new DoubleStreamBlock(w.scope("double_blocks." + i), config, policy, adapters));
        }
        for (int i = 0; i < config.singleBlocks(); i++) {
            singleBlocks.add(new SingleStreamBlock(w.scope("single_blocks." + i), config, policy, adapters));
        }
        this.finalLayer = new LastLayer(w.scope("final_layer"), adapters);
        this.rope = new RotaryEmbedding(config.axesDim(), config.theta());
    }

    /** The inputs of one call. Batch B; N image tokens; T text tokens. */
    public record Input(
            NDArray img, // [B, N, 64] packed latent tokens
            NDArray imgIds, // [B, N, 3] float positions (0, row, col)
            NDArray txt, // [B, T, contextDim] T5 hidden states
            NDArray txtIds, // [B, T, 3], all zero for FLUX
            NDArray timesteps, // [B] sigma in [0, 1]
            NDArray pooled, // [B, vecDim] CLIP pooled output
            NDArray guidance) { // [B] or null (schnell)
    }

    /** Predicts the velocity for the given image tokens; returns [B, N, 64] in fp32. */
    public NDArray forward(Input in) {
        return Scopes.keep(() -> {
            DataType type = policy.transformerType();
            NDArray img = imgIn.apply(in.img().toType(type, false));
            NDArray txt = txtIn.apply(in.txt().toType(type, false));
            NDArray siluVec = kernels.silu(conditioningVector(in, type));
            NDList pe = rope.anglesCosSin(NDArrays.concat(new NDList(in.txtIds(), in.imgIds()), 1));

            for (DoubleStreamBlock block : doubleBlocks) {
                NDArray image = img;
                NDArray text = txt;
                NDList next = Scopes.keepAll(() -> block.forward(image, text, siluVec, pe));
                image.close(); // free each activation as soon as the next exists
                text.close();
                img = next.get(0);
                txt = next.get(1);
            }
            long textLength = txt.getShape().get(1);
            NDArray x = NDArrays.concat(new NDList(txt, img), 1);
            for (SingleStreamBlock block : singleBlocks) {
                NDArray current = x;
                x = Scopes.keep(() -> block.forward(current, siluVec, pe));
                current.close();
            }
            NDArray imageTokens = x.split(new long[] {textLength}, 1).get(1);
            return finalLayer.forward(imageTokens, siluVec, kernels).toType(DataType.FLOAT32, false);
        });
    }

    /** vec = MLP(timestep) + MLP(guidance) (dev only) + MLP(pooled CLIP). */
    private NDArray conditioningVector(Input in, DataType type) {
        NDManager m = in.img().getManager();
        NDArray vec = timeIn.apply(TimestepEmbedding.embed(in.timesteps(), m).toType(type, false), kernels);
        if (guidanceIn != null) {
            if (in.guidance() == null) {
                throw new IllegalArgumentException("this model has a guidance embedding: guidance is required");
            }
            vec = vec.add(guidanceIn.apply(TimestepEmbedding.embed(in.guidance(), m).toType(type, false), kernels));
        }
        return vec.add(vectorIn.apply(in.pooled().toType(type, false), kernels));
    }

    public FluxConfig config() {
        return config;
    }

    public ComputePolicy policy() {
        return policy;
    }

    /** The LoRA adapters the next forward calls apply; see {@link ActiveAdapters#bind}. */
    public ActiveAdapters adapters() {
        return adapters;
    }

    @Override
    public void close() {
        weights.close();
    }
}
