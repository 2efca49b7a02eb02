package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;

/**
 * Double-stream block: image and text tokens keep separate weights (modulation, qkv, QK-norm,
 * projections, MLPs) but attend jointly over [text, image].
 */
public final class DoubleStreamBlock {

    /** One stream's weights: img_* or txt_*. */
    private record Stream(Modulation mod, AdaptedLinear qkv, NDArray queryNorm, NDArray keyNorm, AdaptedLinear proj,
            AdaptedLinear mlpIn, AdaptedLinear mlpOut) {

        static Stream load(Weights w, String name, ActiveAdapters a) {
            return new Stream(new Modulation(AdaptedLinear.of(w, name + "_mod.lin", a), 2),
                    AdaptedLinear.of(w, name + "_attn.qkv", a),
                    w.get(name + "_attn.norm.query_norm.scale"),
                    w.get(name + "_attn.norm.key_norm.scale"),
                    AdaptedLinear.of(w, name + "_attn.proj", a),
                    AdaptedLinear.of(w, name + "_mlp.0", a),
                    AdaptedLinear.of(w, name + "_mlp.2", a));
        }
    }

    private final Stream img;
    private final Stream txt;
    private final int heads;
    private final Kernels kernels;
    private final boolean fp16Guard;

    public DoubleStreamBlock(Weights w, FluxConfig config, ComputePolicy policy, ActiveAdapters adapters) {
        this.img = Stream.load(w, "img", adapters);
        this.txt = Stream.load(w, "txt", adapters);
        this.heads = config.heads();
        this.kernels = policy.kernels();
        this.fp16Guard = policy.fp16Guard();
    }

    /**
     * @param image [B, N, H], text [B, T, H], siluVec [B, H], pe RoPE cos/sin for [text, image]
     * @return the new (image, text)
     */
    public NDList forward(NDArray image, NDArray text, NDArray siluVec, NDList pe) {
        Modulation.Params[] imgMod = img.mod().apply(siluVec);
        Modulation.Params[] txtMod = txt.mod().apply(siluVec);

        NDList imgQkv = qkv(img, imgMod[0].modulate(image, kernels));
        NDList txtQkv = qkv(txt, txtMod[0].modulate(text, kernels));
        NDArray q = NDArrays.concat(new NDList(txtQkv.get(0), imgQkv.get(0)), 2);
        NDArray k = NDArrays.concat(new NDList(txtQkv.get(1), imgQkv.get(1)), 2);
        NDArray v = NDArrays.concat(new NDList(txtQkv.get(2), imgQkv.get(2)), 2);
        NDArray attn = SelfAttention.attend(q, k, v, pe, kernels); // [B, T + N, H]
        long textLength = text.getShape().get(1);
        NDList parts = attn.split(new long[] {textLength}, 1);

        NDArray newImage = residual(img, image, imgMod, parts.get(1));
        NDArray newText = residual(txt, text, txtMod, parts.get(0));
        if (fp16Guard) {
            newText = newText.clip(-ComputePolicy.FP16_MAX, ComputePolicy.FP16_MAX);
        }
        return new NDList(newImage, newText);
    }

    private NDList qkv(Stream s, NDArray modulated) {
        NDList qkv = SelfAttention.splitHeads(s.qkv().apply(modulated), heads);
        return new NDList(SelfAttention.qkNorm(qkv.get(0), s.queryNorm(), kernels),
                SelfAttention.qkNorm(qkv.get(1), s.keyNorm(), kernels), qkv.get(2));
    }

    /** x + gate1 * proj(attn), then + gate2 * MLP(modulated LayerNorm). */
    private NDArray residual(Stream s, NDArray x, Modulation.Params[] mod, NDArray attn) {
        NDArray h = x.add(s.proj().apply(attn).mul(mod[0].gate()));
        NDArray mlp = s.mlpOut().apply(kernels.geluTanh(s.mlpIn().apply(mod[1].modulate(h, kernels))));
        return h.add(mlp.mul(mod[1].gate()));
    }
}
