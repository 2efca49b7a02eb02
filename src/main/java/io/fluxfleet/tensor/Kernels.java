package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;

/**
 * The ops DJL lacks as single kernels. Two implementations: {@link ComposedKernels} builds them
 * from eager DJL ops; {@link FusedKernels} calls PyTorch's fused kernels through a TorchScript
 * archive the project writes itself. Results belong to the manager of the first operand.
 */
public interface Kernels {

    String name();

    /** softmax(q k^T * scale + bias) v over [B, heads, L, D]; bias may be null (no mask). */
    NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, double scale);

    default NDArray attention(NDArray q, NDArray k, NDArray v) {
        return attention(q, k, v, null, 1.0 / Math.sqrt(q.getShape().get(q.getShape().dimension() - 1)));
    }

    /** x / rms(x) * weight over the last axis, computed in fp32 whatever x's dtype. */
    NDArray rmsNorm(NDArray x, NDArray weight, float eps);

    /** LayerNorm over the last axis without affine parameters. */
    NDArray layerNorm(NDArray x, float eps);

    /** GroupNorm of x [B, C, H, W] with per-channel affine weight and bias. */
    NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps);

    /** GELU, tanh approximation. */
    NDArray geluTanh(NDArray x);

    /** x * sigmoid(x). */
    NDArray silu(NDArray x);

    /**
     * Rotary embedding: rotates adjacent pairs (x[2k], x[2k+1]) of x [B, heads, L, D] by angles
     * whose cos and sin are given as [B, 1, L, D/2].
     */
    NDArray rope(NDArray x, NDArray cos, NDArray sin);

    /** Which implementation a device gets when the configuration does not say. */
    enum Choice {
        AUTO, FUSED, COMPOSED;

        public static Choice parse(String s) {
            return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
        }
    }

    /**
     * FUSED is the default on every device: measured faster on CPU (docs/benchmarks.md) and the
     * only way to flash attention on CUDA.
     */
    static Kernels create(Choice choice) {
        return choice == Choice.COMPOSED ? new ComposedKernels() : FusedKernels.instance();
    }
}
