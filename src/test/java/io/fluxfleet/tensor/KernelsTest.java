package io.fluxfleet.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.SeededStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Fused (TorchScript) and composed (eager DJL) kernels agree, and both match hand-computed values. */
class KernelsTest {

    static NDManager m;
    static final Kernels FUSED = Kernels.create(Kernels.Choice.FUSED);
    static final Kernels COMPOSED = Kernels.create(Kernels.Choice.COMPOSED);
    static final SeededStreams R = new SeededStreams(42);

    @BeforeAll
    static void open() {
        m = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        m.close();
    }

    static void agree(NDArray fused, NDArray composed, double tol) {
        assertEquals(composed.getShape(), fused.getShape());
        assertTrue(fused.allClose(composed, tol, tol, false), "max diff " + fused.sub(composed).abs().max().getFloat());
    }

    @Test
    void attentionAgreesWithAndWithoutBias() {
        NDArray q = R.normal("q", new Shape(2, 3, 7, 16), m);
        NDArray k = R.normal("k", new Shape(2, 3, 9, 16), m);
        NDArray v = R.normal("v", new Shape(2, 3, 9, 16), m);
        agree(FUSED.attention(q, k, v), COMPOSED.attention(q, k, v), 1e-5);
        NDArray bias = R.normal("bias", new Shape(1, 3, 7, 9), m);
        agree(FUSED.attention(q, k, v, bias, 1.0), COMPOSED.attention(q, k, v, bias, 1.0), 1e-5);
    }

    @Test
    void attentionOfOneKeyReturnsItsValue() {
        NDArray q = R.normal("q1", new Shape(1, 1, 3, 4), m);
        NDArray k = R.normal("k1", new Shape(1, 1, 1, 4), m);
        NDArray v = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 1, 4));
        for (Kernels kn : new Kernels[] {FUSED, COMPOSED}) {
            float[] out = kn.attention(q, k, v).toFloatArray();
            assertArrayEquals(new float[] {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4}, out, 1e-6f, kn.name());
        }
    }

    @Test
    void rmsNormMatchesHandComputed() {
        NDArray x = m.create(new float[] {3, 4}, new Shape(1, 2));
        NDArray w = m.create(new float[] {1, 2});
        float rms = (float) Math.sqrt((9 + 16) / 2.0 + 1e-6);
        for (Kernels kn : new Kernels[] {FUSED, COMPOSED}) {
            assertArrayEquals(new float[] {3 / rms, 8 / rms}, kn.rmsNorm(x, w, 1e-6f).toFloatArray(), 1e-5f);
        }
        NDArray big = R.normal("rms", new Shape(2, 5, 32), m);
        NDArray scale = R.normal("rmsw", new Shape(32), m);
        agree(FUSED.rmsNorm(big, scale, 1e-6f), COMPOSED.rmsNorm(big, scale, 1e-6f), 1e-5);
    }

    @Test
    void layerNormAndGroupNormAgree() {
        NDArray x = R.normal("ln", new Shape(2, 6, 24), m).mul(3).add(1);
        agree(FUSED.layerNorm(x, 1e-6f), COMPOSED.layerNorm(x, 1e-6f), 1e-5);
        float[] ln = COMPOSED.layerNorm(m.create(new float[] {1, 3}, new Shape(1, 2)), 0f).toFloatArray();
        assertArrayEquals(new float[] {-1, 1}, ln, 1e-6f); // mean 2, std 1
        NDArray img = R.normal("gn", new Shape(2, 8, 5, 3), m);
        NDArray w = R.normal("gnw", new Shape(8), m);
        NDArray b = R.normal("gnb", new Shape(8), m);
        agree(FUSED.groupNorm(img, 4, w, b, 1e-6f), COMPOSED.groupNorm(img, 4, w, b, 1e-6f), 1e-5);
    }

    @Test
    void activationsMatchTheirFormulas() {
        float[] xs = {-3, -0.5f, 0, 0.7f, 2.5f};
        NDArray x = m.create(xs);
        float[] gelu = new float[xs.length];
        float[] silu = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            double v = xs[i];
            gelu[i] = (float) (0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))));
            silu[i] = (float) (v / (1 + Math.exp(-v)));
        }
        for (Kernels kn : new Kernels[] {FUSED, COMPOSED}) {
            assertArrayEquals(gelu, kn.geluTanh(x).toFloatArray(), 1e-5f, kn.name());
            assertArrayEquals(silu, kn.silu(x).toFloatArray(), 1e-5f, kn.name());
        }
    }

    @Test
    void ropeAgrees() {
        NDArray x = R.normal("x", new Shape(2, 3, 5, 8), m);
        NDArray angles = R.normal("angles", new Shape(2, 1, 5, 4), m);
        agree(FUSED.rope(x, angles.cos(), angles.sin()), COMPOSED.rope(x, angles.cos(), angles.sin()), 1e-6);
    }
}
