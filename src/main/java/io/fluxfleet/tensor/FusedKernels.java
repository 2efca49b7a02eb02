package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * PyTorch's fused kernels (flash / memory-efficient attention, rms_norm, group_norm, tanh-GELU,
 * SiLU) reached through a TorchScript module written by {@link TorchScriptArchive}. Its outputs
 * are inference tensors: callers must not modify them in place.
 */
public final class FusedKernels implements Kernels {

    private static final String[] METHODS = {
        "def forward(self, x: Tensor) -> Tensor:\n  return x",
        "def attention(self, q: Tensor, k: Tensor, v: Tensor, scale: float) -> Tensor:\n"
                + "  return torch.scaled_dot_product_attention(q, k, v, None, 0., False, scale=scale)",
        "def attention_bias(self, q: Tensor, k: Tensor, v: Tensor, bias: Tensor, scale: float) -> Tensor:\n"
                + "  return torch.scaled_dot_product_attention(q, k, v, bias, 0., False, scale=scale)",
        "def rms_norm(self, x: Tensor, w: Tensor, eps: float) -> Tensor:\n"
                + "  y = torch.rms_norm(x.float(), [x.size(-1)], w.float(), eps)\n"
                + "  return y.to(x.dtype)",
        "def layer_norm(self, x: Tensor, eps: float) -> Tensor:\n"
                + "  return torch.layer_norm(x, [x.size(-1)], None, None, eps)",
        "def group_norm(self, x: Tensor, groups: int, w: Tensor, b: Tensor, eps: float) -> Tensor:\n"
                + "  return torch.group_norm(x, groups, w, b, eps)",
        "def gelu_tanh(self, x: Tensor) -> Tensor:\n  return torch.gelu(x, approximate=\"tanh\")",
        "def silu(self, x: Tensor) -> Tensor:\n  return torch.silu(x)",
        "def rope(self, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:\n"
                + "  pairs = x.unflatten(-1, [-1, 2])\n"
                + "  x0 = pairs.select(-1, 0)\n"
                + "  x1 = pairs.select(-1, 1)\n"
                + "  out = torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1)\n"
                + "  return out.flatten(-2)",
    };

    private static volatile FusedKernels instance;

    private final PtSymbolBlock module;

    private FusedKernels(PtSymbolBlock module) {
        this.module = module;
    }

    /** One module per JVM: it holds no tensors, and TorchScript methods are thread-safe. */
    public static FusedKernels instance() {
        if (instance == null) {
            synchronized (FusedKernels.class) {
                if (instance == null) {
                    instance = new FusedKernels(load());
                }
            }
        }
        return instance;
    }

    private static PtSymbolBlock load() {
        byte[] archive = TorchScriptArchive.write("FluxFusedOps", METHODS);
        // The module lives for the JVM; a dedicated manager keeps it out of any caller's scope.
        PtNDManager manager = (PtNDManager) NDManager.newBaseManager();
        try {
            PtSymbolBlock block = JniUtils.loadModule(manager, new ByteArrayInputStream(archive), false, false);
            JniUtils.enableInferenceMode(block);
            return block;
        } catch (IOException e) {
            throw new IllegalStateException("cannot load the fused-ops TorchScript module", e);
        }
    }

    @Override
    public String name() {
        return "fused";
    }

    @Override
    public NDArray attention(NDArray q, NDArray k, NDArray v, NDArray bias, double scale) {
        return bias == null
                ? call(q, "attention", tensor(q), tensor(k), tensor(v), IValue.from(scale))
                : call(q, "attention_bias", tensor(q), tensor(k), tensor(v), tensor(bias), IValue.from(scale));
    }

    @Override
    public NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        return call(x, "rms_norm", tensor(x), tensor(weight), IValue.from((double) eps));
    }

    @Override
    public NDArray layerNorm(NDArray x, float eps) {
        return call(x, "layer_norm", tensor(x), IValue.from((double) eps));
    }

    @Override
    public NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps) {
        return call(x, "group_norm", tensor(x), IValue.from((long) groups), tensor(weight), tensor(bias),
                IValue.from((double) eps));
    }

    @Override
    public NDArray geluTanh(NDArray x) {
        return call(x, "gelu_tanh", tensor(x));
    }

    @Override
    public NDArray silu(NDArray x) {
        return call(x, "silu", tensor(x));
    }

    @Override
    public NDArray rope(NDArray x, NDArray cos, NDArray sin) {
        return call(x, "rope", tensor(x), tensor(cos), tensor(sin));
    }

    private static IValue tensor(NDArray a) {
        return IValue.from((PtNDArray) a);
    }

    private NDArray call(NDArray owner, String method, IValue... args) {
        try (IValue result = IValueUtils.runMethod(module, method, args)) {
            return result.toTensor((PtNDManager) owner.getManager());
        } finally {
            for (IValue a : args) {
                a.close();
            }
        }
    }
}
