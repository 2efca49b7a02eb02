package io.fluxfleet.flux.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.tensor.ComposedKernels;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.FusedKernels;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The T5 encoder on tiny random weights against a plain-Java reference written from the model
 * description, plus the relative-position buckets by hand and the tied-embedding layouts.
 */
class T5EncoderTest {

    /** vocab 60, dModel 16, 2 blocks, 3 heads of 5 (inner 15 != dModel on purpose), FF 24. */
    private static final T5Config CONFIG = new T5Config(60, 16, 2, 3, 5, 24, 32, 128, 1e-6f);

    /** 24 tokens: 15 words, EOS (1), then padding (0). Distances up to 23 reach the log buckets. */
    private static final long[] PROMPT = {
        12, 7, 33, 41, 5, 59, 18, 22, 9, 3, 27, 44, 50, 16, 38, 1, 0, 0, 0, 0, 0, 0, 0, 0};

    @TempDir static Path dir;

    private static Map<String, HostTensor> host;
    private static T5Encoder fused;
    private static T5Encoder composed;

    @BeforeAll
    static void writeAndLoad() throws Exception {
        host = RandomWeights.generate(CONFIG.spec(), 11);
        // Sharded with an index JSON, like text_encoder_2/ of the diffusers repo.
        SafetensorsWriter.writeSharded(dir.resolve("shared"), "model", host, StoredType.F32, 8_000);
        fused = T5Encoder.load(dir.resolve("shared"), CONFIG, policy(FusedKernels.instance(), DataType.FLOAT32));
        composed = T5Encoder.load(dir.resolve("shared"), CONFIG, policy(new ComposedKernels(), DataType.FLOAT32));
    }

    @AfterAll
    static void close() {
        fused.close();
        composed.close();
    }

    static ComputePolicy policy(Kernels kernels, DataType textType) {
        return new ComputePolicy(Device.cpu(), DataType.FLOAT32, textType, DataType.FLOAT32, kernels);
    }

    /**
     * Bucket of rel = key - query for 32 buckets, max distance 128: (rel > 0 ? 16 : 0) plus
     * n = |rel| if n < 8, else min(15, 8 + floor(ln(n/8) / ln(16) * 8)). Worked by hand:
     * n=11: ln(1.375)/ln16*8 = 0.318/2.773*8 = 0.92 -> 8;  n=12: ln1.5 -> 1.17 -> 9;
     * n=16: ln2/ln16*8 = 2 exactly -> 10;  n=20: ln2.5 -> 2.64 -> 10;  n=31: ln3.875 -> 3.91 -> 11;
     * n=32: 4 -> 12;  n=64: 6 -> 14;  n=127: ln15.875 -> 7.98 -> 15;  n=128: 8 -> 16, capped 15;
     * n=200: 9.29 -> capped 15;  n=1000 -> capped 15.
     */
    @Test
    void relativePositionBucketsMatchHandComputedValues() {
        int[][] relAndBucket = {
            {0, 0}, {1, 17}, {-1, 1}, {7, 23}, {-7, 7}, {8, 24}, {-8, 8}, {11, 24}, {-12, 9}, {16, 26},
            {-16, 10}, {20, 26}, {-20, 10}, {-31, 11}, {32, 28}, {64, 30}, {-64, 14}, {127, 31},
            {-127, 15}, {128, 31}, {-128, 15}, {-200, 15}, {1000, 31}, {-1000, 15},
        };
        for (int[] rb : relAndBucket) {
            assertEquals(rb[1], T5Encoder.relativePositionBucket(rb[0], 32, 128), "rel " + rb[0]);
        }
        // Generalised by buckets/2 and its half: 16 buckets, max distance 64 -> 8 per side, 4 exact.
        assertEquals(3, T5Encoder.relativePositionBucket(-3, 16, 64));
        assertEquals(8 + 4, T5Encoder.relativePositionBucket(4, 16, 64));
        assertEquals(8 + 7, T5Encoder.relativePositionBucket(500, 16, 64));
    }

    @Test
    void encodeMatchesPlainJavaReference() {
        float[] expected = reference(PROMPT);
        for (T5Encoder encoder : new T5Encoder[] {fused, composed}) {
            assertArrayEquals(expected, encode(encoder, PROMPT), 1e-4f, encoder == fused ? "fused" : "composed");
        }
    }

    @Test
    void fusedAndComposedKernelsAgree() {
        long[] ids = {4, 8, 15, 16, 23, 42, 1, 0, 0, 0};
        assertArrayEquals(encode(composed, ids), encode(fused, ids), 1e-4f);
    }

    @Test
    void paddingIsAttendedNoMask() {
        float[] base = encode(fused, PROMPT);
        long[] otherPad = PROMPT.clone();
        otherPad[PROMPT.length - 1] = 2; // change the last padding token
        float[] changed = encode(fused, otherPad);
        int d = CONFIG.dModel();
        double firstTokenDiff = maxAbsDiff(Arrays.copyOfRange(base, 0, d), Arrays.copyOfRange(changed, 0, d));
        assertTrue(firstTokenDiff > 1e-4, "position 0 must see the padding, diff " + firstTokenDiff);
    }

    @Test
    void batchRowsEqualSinglePrompts() {
        long[] other = PROMPT.clone();
        other[0] = 30;
        try (NDArray batch = fused.encode(new long[][] {PROMPT, other})) {
            assertArrayEquals(new long[] {2, PROMPT.length, CONFIG.dModel()}, batch.getShape().getShape());
            float[] both = batch.toFloatArray();
            int n = PROMPT.length * CONFIG.dModel();
            assertArrayEquals(encode(fused, PROMPT), Arrays.copyOfRange(both, 0, n), 1e-5f);
            assertArrayEquals(reference(other), Arrays.copyOfRange(both, n, 2 * n), 1e-4f);
        }
    }

    @Test
    void embeddingStoredAsEncoderEmbedTokensLoads() throws Exception {
        Map<String, HostTensor> renamed = new LinkedHashMap<>();
        host.forEach((k, v) -> renamed.put(k.equals("shared.weight") ? "encoder.embed_tokens.weight" : k, v));
        Path only = dir.resolve("embed-tokens");
        SafetensorsWriter.write(only.resolve("model.safetensors"), renamed, StoredType.F32);
        try (T5Encoder encoder = T5Encoder.load(only, CONFIG, policy(FusedKernels.instance(), DataType.FLOAT32))) {
            assertArrayEquals(reference(PROMPT), encode(encoder, PROMPT), 1e-4f);
        }

        Map<String, HostTensor> both = new LinkedHashMap<>(host); // Hugging Face saves the tied table twice
        both.put("encoder.embed_tokens.weight", host.get("shared.weight"));
        Path twice = dir.resolve("both");
        SafetensorsWriter.write(twice.resolve("model.safetensors"), both, StoredType.F32);
        try (T5Encoder encoder = T5Encoder.load(twice, CONFIG, policy(FusedKernels.instance(), DataType.FLOAT32))) {
            assertArrayEquals(reference(PROMPT), encode(encoder, PROMPT), 1e-4f);
        }
    }

    @Test
    void missingEmbeddingIsReportedUnderItsCanonicalName() throws Exception {
        Map<String, HostTensor> none = new LinkedHashMap<>(host);
        none.remove("shared.weight");
        Path missing = dir.resolve("missing");
        SafetensorsWriter.write(missing.resolve("model.safetensors"), none, StoredType.F32);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> T5Encoder.load(missing, CONFIG, policy(FusedKernels.instance(), DataType.FLOAT32)));
        assertTrue(e.getMessage().contains("'shared.weight'"), e.getMessage());
    }

    @Test
    void fp16PathStaysCloseToFp32() {
        // CPU runs fp32; this only checks that the fp16 code path (fp32 wo, clamped residuals) is sound.
        try (T5Encoder half = T5Encoder.load(dir.resolve("shared"), CONFIG,
                policy(new ComposedKernels(), DataType.FLOAT16))) {
            try (NDArray out = half.encode(PROMPT)) {
                assertEquals(DataType.FLOAT16, out.getDataType());
                float[] actual = out.toType(DataType.FLOAT32, true).toFloatArray();
                assertArrayEquals(encode(fused, PROMPT), actual, 3e-2f);
            }
        }
    }

    @Test
    void xxlSpecNamesTheHuggingFaceTensors() {
        WeightSpec spec = T5Config.xxl().spec();
        assertArrayEquals(new long[] {32128, 4096}, spec.shape("shared.weight"));
        assertArrayEquals(new long[] {32, 64},
                spec.shape("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"));
        assertEquals(null, spec.shape("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"));
        assertArrayEquals(new long[] {10240, 4096}, spec.shape("encoder.block.23.layer.1.DenseReluDense.wi_1.weight"));
        assertArrayEquals(new long[] {4096, 10240}, spec.shape("encoder.block.23.layer.1.DenseReluDense.wo.weight"));
        assertArrayEquals(new long[] {4096}, spec.shape("encoder.final_layer_norm.weight"));
        assertEquals(4_762_310_656L, spec.parameterCount()); // T5 v1.1 XXL encoder
        assertEquals(99, T5Config.tiny(99).vocabSize());
    }

    private static float[] encode(T5Encoder encoder, long[] ids) {
        try (NDArray out = encoder.encode(ids)) {
            assertArrayEquals(new long[] {1, ids.length, CONFIG.dModel()}, out.getShape().getShape());
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

    /** Hidden states [L * dModel] of one prompt. */
    static float[] reference(long[] ids) {
        int len = ids.length;
        int d = CONFIG.dModel();
        float[] emb = w("shared.weight");
        double[][] x = new double[len][d];
        for (int t = 0; t < len; t++) {
            for (int j = 0; j < d; j++) {
                x[t][j] = emb[(int) ids[t] * d + j];
            }
        }
        float[] table = w("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"); // [32, heads]
        for (int l = 0; l < CONFIG.layers(); l++) {
            String p = "encoder.block." + l + ".layer.";
            double[][] h = new double[len][];
            for (int t = 0; t < len; t++) {
                h[t] = rmsNorm(x[t], w(p + "0.layer_norm.weight"));
            }
            double[][] attn = attention(h, p + "0.SelfAttention.", table);
            for (int t = 0; t < len; t++) {
                double[] o = matVec(attn[t], w(p + "0.SelfAttention.o.weight"), d);
                for (int j = 0; j < d; j++) {
                    x[t][j] += o[j];
                }
            }
            for (int t = 0; t < len; t++) {
                double[] n = rmsNorm(x[t], w(p + "1.layer_norm.weight"));
                double[] gate = matVec(n, w(p + "1.DenseReluDense.wi_0.weight"), CONFIG.dFf());
                double[] up = matVec(n, w(p + "1.DenseReluDense.wi_1.weight"), CONFIG.dFf());
                for (int j = 0; j < gate.length; j++) {
                    double g = gate[j];
                    gate[j] = 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g * g * g))) * up[j];
                }
                double[] o = matVec(gate, w(p + "1.DenseReluDense.wo.weight"), d);
                for (int j = 0; j < d; j++) {
                    x[t][j] += o[j];
                }
            }
        }
        float[] out = new float[len * d];
        for (int t = 0; t < len; t++) {
            double[] y = rmsNorm(x[t], w("encoder.final_layer_norm.weight"));
            for (int j = 0; j < d; j++) {
                out[t * d + j] = (float) y[j];
            }
        }
        return out;
    }

    /** Per head: softmax over ALL keys of q.k (unscaled) + table[bucket(s - t), head]. */
    private static double[][] attention(double[][] h, String p, float[] table) {
        int len = h.length;
        int heads = CONFIG.heads();
        int dkv = CONFIG.dKv();
        int inner = heads * dkv;
        double[][] q = new double[len][];
        double[][] k = new double[len][];
        double[][] v = new double[len][];
        for (int t = 0; t < len; t++) {
            q[t] = matVec(h[t], w(p + "q.weight"), inner);
            k[t] = matVec(h[t], w(p + "k.weight"), inner);
            v[t] = matVec(h[t], w(p + "v.weight"), inner);
        }
        double[][] out = new double[len][inner];
        for (int head = 0; head < heads; head++) {
            int off = head * dkv;
            for (int t = 0; t < len; t++) {
                double[] score = new double[len];
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < len; s++) {
                    double dot = 0;
                    for (int j = 0; j < dkv; j++) {
                        dot += q[t][off + j] * k[s][off + j];
                    }
                    score[s] = dot + table[bucket(s - t) * heads + head];
                    max = Math.max(max, score[s]);
                }
                double sum = 0;
                for (int s = 0; s < len; s++) {
                    score[s] = Math.exp(score[s] - max);
                    sum += score[s];
                }
                for (int s = 0; s < len; s++) {
                    for (int j = 0; j < dkv; j++) {
                        out[t][off + j] += score[s] / sum * v[s][off + j];
                    }
                }
            }
        }
        return out;
    }

    /**
     * 32 buckets, max distance 128, in integers: floor(ln(n/8)/ln(16)*8) = floor(log2(n^2/64)),
     * the largest k with 64 * 2^k <= n^2.
     */
    private static int bucket(int rel) {
        int base = rel > 0 ? 16 : 0;
        int n = Math.abs(rel);
        if (n < 8) {
            return base + n;
        }
        int k = 0;
        while (64L << (k + 1) <= (long) n * n) {
            k++;
        }
        return base + Math.min(15, 8 + k);
    }

    /** W x with W stored [out, in] row-major, no bias. */
    private static double[] matVec(double[] x, float[] weight, int out) {
        int in = x.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double s = 0;
            for (int i = 0; i < in; i++) {
                s += weight[o * in + i] * x[i];
            }
            y[o] = s;
        }
        return y;
    }

    private static double[] rmsNorm(double[] x, float[] weight) {
        double ms = 0;
        for (double v : x) {
            ms += v * v;
        }
        ms /= x.length;
        double inv = 1 / Math.sqrt(ms + CONFIG.eps());
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * inv * weight[i];
        }
        return y;
    }
}
