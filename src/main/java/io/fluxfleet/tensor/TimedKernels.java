package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * A {@link Kernels} decorator that adds up wall time per op, for benchmarks. CPU ops run
 * synchronously, so wall time around a call is the op's time; on CUDA it is launch time only.
 */
public final class TimedKernels implements Kernels {

    private final Kernels inner;
    private final Map<String, Long> nanos = new TreeMap<>();

    public TimedKernels(Kernels inner) {
        this.inner = inner;
    }

    public Map<String, Long> nanosByOp() {
        return nanos;
    }

    public void reset() {
        nanos.clear();
    }

    private NDArray time(String op, Supplier<NDArray> call) {
        long t = System.nanoTime();
        NDArray out = call.get();
        nanos.merge(op, System.nanoTime() - t, Long::sum);
        return out;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, double scale) {
        return time("attention", () -> inner.attention(q, k, v, bias, scale));
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        return time("rms_norm", () -> inner.rmsNorm(x, weight, eps));
    }

    @Override
    public NDArray layerNorm(NDArray x, float eps) {
        return time("layer_norm", () -> inner.layerNorm(x, eps));
    }

    @Override
    public NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        return time("group_norm", () -> inner.groupNorm(x, groups, weight, bias, eps));
    }

    @Override
    public NDArray geluTanh(NDArray x) {
        return time("gelu_tanh", () -> inner.geluTanh(x));
    }

    @Override
    public NDArray silu(NDArray x) {
        return time("silu", () -> inner.silu(x));
    }

    @Override
    public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        return time("rope", () -> inner.rope(x, cos, sin));
    }
}
