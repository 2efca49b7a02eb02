package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;

/**
 * Single-stream block on concat(text, image): one Linear gives q, k, v and the MLP input in
 * parallel; a second Linear maps concat(attention, GELU(mlp)) back; x + gate * out.
 */
public final class SingleStreamBlock {

    private final Modulation modulation;
    private final AdaptedLinear linear1;
    private final AdaptedLinear linear2;
    private final NDArray queryNorm;
    private final NDArray keyNorm;
    private final int heads;
    private final long hidden;
    private final Kernels kernels;
    private final boolean fp16Guard;

    public SingleStreamBlock(Weights w, FluxConfig config, ComputePolicy policy, ActiveAdapters adapters) {
        this.modulation = new Modulation(AdaptedLinear.of(w, "modulation.lin", adapters), 1);
        this.linear1 = AdaptedLinear.of(w, "linear1", adapters);
        this.linear2 = AdaptedLinear.of(w, "linear2", adapters);
        this.queryNorm = w.get("norm.query_norm.scale");
        this.keyNorm = w.get("norm.key_norm.scale");
        this.heads = config.heads();
        this.hidden = config.hidden();
        this.kernels = policy.kernels();
        this.fp16Guard = policy.fp16Guard();
    }

    /** @param x [B, T + N, H]; returns the same shape */
    public NDArray forward(NDArray x, NDArray siluVec, NDList pe) {
        Modulation.Params mod = modulation.apply(siluVec)[0];
        NDList split = linear1.apply(mod.modulate(x, kernels)).split(new long[] {3 * hidden}, 2);
        NDList qkv = SelfAttention.splitHeads(split.get(0), heads);
        NDArray q = SelfAttention.qkNorm(qkv.get(0), queryNorm, kernels);
        NDArray k = SelfAttention.qkNorm(qkv.get(1), keyNorm, kernels);
        NDArray attn = SelfAttention.attend(q, k, qkv.get(2), pe, kernels);
        NDArray out = linear2.apply(NDArrays.concat(new NDList(attn, kernels.geluTanh(split.get(1))), 2));
        NDArray result = x.add(out.mul(mod.gate()));
        return fp16Guard ? result.clip(-ComputePolicy.FP16_MAX, ComputePolicy.FP16_MAX) : result;
    }
}
