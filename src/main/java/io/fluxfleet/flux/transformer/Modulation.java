package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.fluxfleet.tensor.Kernels;

/**
 * adaLN modulation: Linear(SiLU(vec)) split into chunks of (shift, scale, gate) triples.
 * The caller passes SiLU(vec) once for all blocks.
 */
public record Modulation(AdaptedLinear lin, int triples) {

    /** One (shift, scale, gate) triple, each [B, 1, H]. */
    public record Params(NDArray shift, NDArray scale, NDArray gate) {

        /** (1 + scale) * LayerNorm(x) + shift, LayerNorm without affine, eps 1e-6. */
        public NDArray modulate(NDArray x, Kernels kernels) {
            return kernels.layerNorm(x, 1e-6f).mul(scale.add(1)).add(shift);
        }
    }

    /** @param siluVec SiLU(vec) [B, H]; returns {@code triples} parameter sets */
    public Params[] apply(NDArray siluVec) {
        NDList chunks = lin.apply(siluVec).expandDims(1).split(3L * triples, 2);
        Params[] out = new Params[triples];
        for (int i = 0; i < triples; i++) {
            out[i] = new Params(chunks.get(3 * i), chunks.get(3 * i + 1), chunks.get(3 * i + 2));
        }
        return out;
    }
}
