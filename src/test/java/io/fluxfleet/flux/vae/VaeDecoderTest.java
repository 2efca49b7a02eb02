package io.fluxfleet.flux.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.vae.VaeReference.Img;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VaeDecoderTest {

    private static NDManager manager;
    private static Map<String, HostTensor> tinyWeights;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager(Device.cpu());
        tinyWeights = RandomWeights.generate(VaeConfig.tiny().spec(), 7);
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static ComputePolicy policy(Kernels.Choice choice) {
        return ComputePolicy.forDevice(Device.cpu(), choice);
    }

    private static VaeDecoder tinyDecoder(Kernels.Choice choice) {
        return new VaeDecoder(VaeConfig.tiny(), VaeReference.toWeights(tinyWeights, manager), policy(choice));
    }

    @Test
    void fluxSpecHasTheAutoencoderStructure() {
        WeightSpec s = VaeConfig.flux().spec();
        assertArrayEquals(new long[] {512, 16, 3, 3}, s.shape("decoder.conv_in.weight"));
        assertArrayEquals(new long[] {512, 512, 1, 1}, s.shape("decoder.mid.attn_1.q.weight"));
        assertArrayEquals(new long[] {512, 512, 1, 1}, s.shape("decoder.mid.attn_1.proj_out.weight"));
        assertArrayEquals(new long[] {512}, s.shape("decoder.mid.attn_1.norm.weight"));
        assertArrayEquals(new long[] {512, 512, 3, 3}, s.shape("decoder.mid.block_2.conv2.weight"));
        assertArrayEquals(new long[] {512, 512, 3, 3}, s.shape("decoder.up.3.block.2.conv1.weight"));
        assertArrayEquals(new long[] {512, 512, 3, 3}, s.shape("decoder.up.3.upsample.conv.weight"));
        assertArrayEquals(new long[] {256, 512, 3, 3}, s.shape("decoder.up.1.block.0.conv1.weight"));
        assertArrayEquals(new long[] {256, 512, 1, 1}, s.shape("decoder.up.1.block.0.nin_shortcut.weight"));
        assertArrayEquals(new long[] {128, 256, 1, 1}, s.shape("decoder.up.0.block.0.nin_shortcut.weight"));
        assertArrayEquals(new long[] {256, 256, 3, 3}, s.shape("decoder.up.1.upsample.conv.weight"));
        assertArrayEquals(new long[] {128}, s.shape("decoder.norm_out.weight"));
        assertArrayEquals(new long[] {3, 128, 3, 3}, s.shape("decoder.conv_out.weight"));
        assertNull(s.shape("decoder.up.0.upsample.conv.weight"));
        assertNull(s.shape("decoder.up.3.block.0.nin_shortcut.weight"));
        assertNull(s.shape("decoder.up.2.block.0.nin_shortcut.weight"));
        assertNull(s.shape("decoder.up.1.block.1.nin_shortcut.weight"));
        assertNull(s.shape("decoder.up.0.block.3.conv1.weight"));
        // conv_in 2 + mid (8 + 10 + 8) + levels (4 x 3 x 8 + 2 shortcuts x 2 + 3 upsamples x 2) + norm_out 2 + conv_out 2
        assertEquals(138, s.shapes().size());
        long params = s.parameterCount();
        assertEquals(49.5e6, params, 0.05e6, "decoder parameters: " + params);
        assertEquals(8, VaeConfig.flux().upscale());
    }

    @Test
    void invalidGroupCountIsRejected() {
        assertThrows(IllegalArgumentException.class,
                () -> new VaeConfig(12, java.util.List.of(1, 2), 1, 16, 3, 8, 1f, 0f));
    }

    @Test
    void tinyDecoderMatchesPlainJavaReference() {
        Img latent = VaeReference.random(1, 16, 2, 3, 5);
        Img expected = VaeReference.decode(VaeConfig.tiny(), tinyWeights, latent);
        for (Kernels.Choice choice : new Kernels.Choice[] {Kernels.Choice.COMPOSED, Kernels.Choice.FUSED}) {
            try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(choice)) {
                NDArray out = vae.decode(latent.toNd(m));
                assertArrayEquals(new long[] {1, 3, 16, 24}, out.getShape().getShape());
                float diff = VaeReference.maxAbsDiff(expected.d(), out.toFloatArray());
                assertTrue(diff <= 1e-4f, choice + ": max abs difference " + diff);
                // the untrained decoder must not be flat or saturated: the comparison means something
                long inside = 0;
                for (float v : expected.d()) {
                    inside += Math.abs(v) < 0.99f ? 1 : 0;
                }
                assertTrue(inside > expected.d().length / 10, "reference output mostly saturated");
            }
        }
    }

    @Test
    void tiny256DecodeHasImageShapeAndRange() {
        try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(Kernels.Choice.FUSED)) {
            NDArray z = m.randomNormal(0, 1, new Shape(1, 16, 32, 32), DataType.FLOAT32);
            vae.decode(z).close(); // warm-up
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                vae.decode(z).close();
                best = Math.min(best, System.nanoTime() - t0);
            }
            System.out.println("tiny VAE 256x256 decode (fused kernels, CPU), best of 2: " + best / 1_000_000 + " ms");
            NDArray out = vae.decode(z);
            check(out, 256, 256);
            assertEquals(2, m.getManagedArrays().size(), "only the input latent and the output remain");
        }
    }

    @Test
    void fusedAndComposedKernelsAgree() {
        float[] composed;
        float[] fused;
        Img latent = VaeReference.random(1, 16, 8, 12, 13);
        try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(Kernels.Choice.COMPOSED)) {
            composed = check(vae.decode(latent.toNd(m)), 64, 96);
        }
        try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(Kernels.Choice.FUSED)) {
            fused = check(vae.decode(latent.toNd(m)), 64, 96);
        }
        float diff = VaeReference.maxAbsDiff(composed, fused);
        assertTrue(diff <= 1e-4f, "fused vs composed max abs difference " + diff);
    }

    private static float[] check(NDArray out, int height, int width) {
        assertArrayEquals(new long[] {1, 3, height, width}, out.getShape().getShape());
        assertEquals(DataType.FLOAT32, out.getDataType());
        float[] d = out.toFloatArray();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : d) {
            assertFalse(Float.isNaN(v) || Float.isInfinite(v), "non-finite output");
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(min >= -1f && max <= 1f, "range [" + min + ", " + max + "]");
        assertTrue(max - min > 0.1f, "flat output");
        return d;
    }

    @Test
    void decodeAppliesScaleAndShiftBeforeTheNetwork() {
        VaeConfig cfg = VaeConfig.tiny();
        try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(Kernels.Choice.FUSED)) {
            NDArray latent = VaeReference.random(1, 16, 2, 2, 9).toNd(m);
            NDArray viaDecode = vae.decode(latent);
            NDArray viaNetwork = vae.network(latent.div(cfg.scalingFactor()).add(cfg.shiftFactor())).clip(-1, 1);
            assertArrayEquals(viaNetwork.toFloatArray(), viaDecode.toFloatArray(), 1e-6f);
            NDArray unscaled = vae.network(latent).clip(-1, 1);
            assertTrue(VaeReference.maxAbsDiff(unscaled.toFloatArray(), viaDecode.toFloatArray()) > 1e-3f);
        }
    }

    @Test
    void rejectsLatentWithWrongChannels() {
        try (NDManager m = manager.newSubManager(); VaeDecoder vae = tinyDecoder(Kernels.Choice.FUSED)) {
            NDArray bad = m.zeros(new Shape(1, 4, 2, 2));
            assertThrows(IllegalArgumentException.class, () -> vae.decode(bad));
        }
    }
}
