package io.fluxfleet.flux.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.tensor.ComposedKernels;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.FusedKernels;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CLIP text encoder on tiny random weights against a plain-Java reference written from the
 * model description (pre-LN, causal attention, quick-GELU, final LN, EOS = argmax of ids).
 */
class ClipTextEncoderTest {

    /** vocab 40, width 16, 2 layers, 4 heads of 4, MLP 24, 12 positions. */
    private static final ClipTextConfig CONFIG = new ClipTextConfig(40, 16, 2, 4, 24, 12, 1e-5f);
    private static final long EOS = 39; // the largest id, like <|endoftext|>
    private static final long BOS = 38;

    @TempDir static Path dir;

    private static Map<String, HostTensor> host;
    private static ClipTextEncoder fused;
    private static ClipTextEncoder composed;

    @BeforeAll
    static void writeAndLoad() throws Exception {
        host = RandomWeights.generate(CONFIG.spec(), 7);
        SafetensorsWriter.write(dir.resolve("model.safetensors"), host, StoredType.F32);
        fused = ClipTextEncoder.load(dir, CONFIG, policy(FusedKernels.instance(), DataType.FLOAT32));
        composed = ClipTextEncoder.load(dir, CONFIG, policy(new ComposedKernels(), DataType.FLOAT32));
    }

    @AfterAll
    static void close() {
        fused.close();
        composed.close();
    }

    static ComputePolicy policy(Kernels kernels, DataType textType) {
        return new ComputePolicy(Device.cpu(), DataType.FLOAT32, textType, DataType.FLOAT32, kernels);
    }

    private static final long[] PROMPT = {BOS, 5, 17, 3, 22, EOS, EOS, EOS, EOS, EOS};

    @Test
    void pooledMatchesPlainJavaReference() {
        float[] expected = reference(PROMPT);
        for (ClipTextEncoder encoder : new ClipTextEncoder[] {fused, composed}) {
            float[] actual = pooled(encoder, PROMPT);
            assertEquals(CONFIG.width(), actual.length);
            assertArrayEquals(expected, actual, 1e-4f, encoder == fused ? "fused" : "composed");
        }
    }

    @Test
    void fullLengthPromptMatchesReference() {
        long[] ids = new long[CONFIG.maxPositions()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 7 + 3) % 38; // no EOS at all: argmax picks the largest id, first occurrence
        }
        assertArrayEquals(reference(ids), pooled(fused, ids), 1e-4f);
    }

    @Test
    void fusedAndComposedKernelsAgree() {
        long[] ids = {BOS, 1, 2, 30, 9, 9, EOS, 0, 0};
        assertArrayEquals(pooled(composed, ids), pooled(fused, ids), 1e-4f);
    }

    @Test
    void tokensAfterEosDoNotChangeThePooledStateButTokensBeforeDo() {
        float[] base = pooled(fused, PROMPT);
        long[] after = PROMPT.clone();
        after[7] = 11; // after the EOS at position 5; still below EOS so the argmax stays
        after[9] = 2;
        assertArrayEquals(base, pooled(fused, after), 1e-6f, "causal mask: later tokens are invisible");

        long[] before = PROMPT.clone();
        before[2] = 11;
        assertTrue(maxAbsDiff(base, pooled(fused, before)) > 1e-3, "earlier tokens must change the pooled state");
    }

    @Test
    void eosPositionIsTheFirstLargestId() {
        assertEquals(5, ClipTextEncoder.eosPosition(PROMPT));
        assertEquals(0, ClipTextEncoder.eosPosition(new long[] {3, 3, 1}));
    }

    @Test
    void batchRowsEqualSinglePrompts() {
        long[] other = {BOS, 30, 31, EOS, 0, 0, 0, 0, 0, 0};
        try (NDArray batch = fused.pooled(new long[][] {PROMPT, other})) {
            assertArrayEquals(new long[] {2, CONFIG.width()}, batch.getShape().getShape());
            float[] both = batch.toFloatArray();
            float[] first = java.util.Arrays.copyOfRange(both, 0, CONFIG.width());
            float[] second = java.util.Arrays.copyOfRange(both, CONFIG.width(), 2 * CONFIG.width());
            assertArrayEquals(pooled(fused, PROMPT), first, 1e-5f);
            assertArrayEquals(reference(other), second, 1e-4f);
        }
    }

    @Test
    void rejectsTooLongPromptsAndUnknownIds() {
        assertThrows(IllegalArgumentException.class, () -> fused.pooled(new long[CONFIG.maxPositions() + 1]));
        assertThrows(IllegalArgumentException.class, () -> fused.pooled(new long[] {BOS, 40, EOS}));
    }

    @Test
    void largeAndTinyConfigsNameTheHuggingFaceTensors() {
        ClipTextConfig large = ClipTextConfig.large();
        var spec = large.spec();
        assertArrayEquals(new long[] {49408, 768}, spec.shape("text_model.embeddings.token_embedding.weight"));
        assertArrayEquals(new long[] {77, 768}, spec.shape("text_model.embeddings.position_embedding.weight"));
        assertArrayEquals(new long[] {3072, 768}, spec.shape("text_model.encoder.layers.11.mlp.fc1.weight"));
        assertArrayEquals(new long[] {768}, spec.shape("text_model.encoder.layers.0.self_attn.out_proj.bias"));
        assertArrayEquals(new long[] {768}, spec.shape("text_model.final_layer_norm.bias"));
        assertEquals(123_060_480L, spec.parameterCount()); // CLIP-L text model, no projection
        assertEquals(321, ClipTextConfig.tiny(321).vocabSize());
    }

    private static float[] pooled(ClipTextEncoder encoder, long[] ids) {
        try (NDArray out = encoder.pooled(ids)) {
            assertArrayEquals(new long[] {1, CONFIG.width()}, out.getShape().getShape());
            return out.toFloatArray();
        }
    }

    private static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    // ---- plain-Java reference, written from the model description -------------------------

    private static float[] w(String name) {
        return host.get(name).data();
    }

    /** The pooled state of one prompt: final-LN hidden state at the first occurrence of the largest id. */
    static float[] reference(long[] ids) {
        int len = ids.length;
        int width = CONFIG.width();
        float[] tok = w("text_model.embeddings.token_embedding.weight");
        float[] pos = w("text_model.embeddings.position_embedding.weight");
        double[][] x = new double[len][width];
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < width; j++) {
                x[t][j] = tok[(int) ids[t] * width + j] + pos[t * width + j];
            }
        }
        for (int l = 0; l < CONFIG.layers(); l++) {
            String p = "text_model.encoder.layers." + l + ".";
            double[][] h = new double[len][];
            for (int t = 0; t < len; t++) {
                h[t] = layerNorm(x[t], w(p + "layer_norm1.weight"), w(p + "layer_norm1.bias"));
            }
            double[][] attn = causalAttention(h, p + "self_attn.");
            for (int t = 0; t < len; t++) {
                double[] o = affine(attn[t], w(p + "self_attn.out_proj.weight"), w(p + "self_attn.out_proj.bias"));
                for (int j = 0; j < width; j++) {
                    x[t][j] += o[j];
                }
            }
            for (int t = 0; t < len; t++) {
                double[] n = layerNorm(x[t], w(p + "layer_norm2.weight"), w(p + "layer_norm2.bias"));
                double[] m = affine(n, w(p + "mlp.fc1.weight"), w(p + "mlp.fc1.bias"));
                for (int j = 0; j < m.length; j++) {
                    m[j] = m[j] / (1 + Math.exp(-1.702 * m[j]));
                }
                double[] o = affine(m, w(p + "mlp.fc2.weight"), w(p + "mlp.fc2.bias"));
                for (int j = 0; j < width; j++) {
                    x[t][j] += o[j];
                }
            }
        }
        int eos = 0;
        for (int t = 1; t < len; t++) {
            if (ids[t] > ids[eos]) {
                eos = t;
            }
        }
        double[] pooled = layerNorm(x[eos], w("text_model.final_layer_norm.weight"), w("text_model.final_layer_norm.bias"));
        float[] out = new float[width];
        for (int j = 0; j < width; j++) {
            out[j] = (float) pooled[j];
        }
        return out;
    }

    /** Per head: softmax over keys 0..t of (q_t . k_s) / sqrt(d), weighted sum of v_s. */
    private static double[][] causalAttention(double[][] h, String p) {
        int len = h.length;
        int heads = CONFIG.heads();
        int d = CONFIG.width() / heads;
        double[][] q = new double[len][];
        double[][] k = new double[len][];
        double[][] v = new double[len][];
        for (int t = 0; t < len; t++) {
            q[t] = affine(h[t], w(p + "q_proj.weight"), w(p + "q_proj.bias"));
            k[t] = affine(h[t], w(p + "k_proj.weight"), w(p + "k_proj.bias"));
            v[t] = affine(h[t], w(p + "v_proj.weight"), w(p + "v_proj.bias"));
        }
        double[][] out = new double[len][CONFIG.width()];
        for (int head = 0; head < heads; head++) {
            int off = head * d;
            for (int t = 0; t < len; t++) {
                double[] score = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s <= t; s++) {
                    double dot = 0;
                    for (int j = 0; j < d; j++) {
                        dot += q[t][off + j] * k[s][off + j];
                    }
                    score[s] = dot / Math.sqrt(d);
                    max = Math.max(max, score[s]);
                }
                double sum = 0;
                for (int s = 0; s <= t; s++) {
                    score[s] = Math.exp(score[s] - max);
                    sum += score[s];
                }
                for (int s = 0; s <= t; s++) {
                    for (int j = 0; j < d; j++) {
                        out[t][off + j] += score[s] / sum * v[s][off + j];
                    }
                }
            }
        }
        return out;
    }

    /** W x + b with W stored [out, in] row-major. */
    private static double[] affine(double[] x, float[] weight, float[] bias) {
        int out = bias.length;
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = bias[o];
            for (int i = 0; i < in; i++) {
                s += weight[o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    private static double[] layerNorm(double[] x, float[] gamma, float[] beta) {
        double mean = 0;
        for (double v : x) {
            mean += v;
        }
        mean /= x.length;
        double var = 0;
        for (double v : x) {
            var += (v - mean) * (v - mean);
        }
        var /= x.length;
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = (x[i] - mean) / Math.sqrt(var + CONFIG.eps()) * gamma[i] + beta[i];
        }
        return y;
    }
}
