package io.fluxfleet.flux.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.vae.VaeReference.Img;
import io.fluxfleet.tensor.ComposedKernels;
import io.fluxfleet.tensor.FusedKernels;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each decoder block against the plain-Java reference, with both kernel implementations. */
class VaeBlocksTest {

    private static final float TOL = 1e-4f;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    static Stream<Kernels> kernels() {
        return Stream.of(new ComposedKernels(), FusedKernels.instance());
    }

    private static void conv(WeightSpec s, String name, int in, int out, int k) {
        s.add(name + ".weight", out, in, k, k);
        s.add(name + ".bias", out);
    }

    private static void norm(WeightSpec s, String name, int c) {
        s.add(name + ".weight", c);
        s.add(name + ".bias", c);
    }

    private static WeightSpec resnetSpec(int in, int out) {
        WeightSpec s = new WeightSpec();
        norm(s, "blk.norm1", in);
        conv(s, "blk.conv1", in, out, 3);
        norm(s, "blk.norm2", out);
        conv(s, "blk.conv2", out, out, 3);
        if (in != out) {
            conv(s, "blk.nin_shortcut", in, out, 1);
        }
        return s;
    }

    private static void assertClose(Img expected, NDArray actual) {
        assertArrayEquals(new long[] {expected.b(), expected.c(), expected.h(), expected.w()},
                actual.getShape().getShape());
        float diff = VaeReference.maxAbsDiff(expected.d(), actual.toFloatArray());
        assertTrue(diff <= TOL, "max abs difference " + diff);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void resnetBlockWithShortcutMatchesReference(Kernels k) {
        checkResnet(k, 4, 6, 11);
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void resnetBlockWithoutShortcutMatchesReference(Kernels k) {
        checkResnet(k, 6, 6, 12);
    }

    private void checkResnet(Kernels k, int in, int out, long seed) {
        int groups = 2;
        Map<String, HostTensor> host = RandomWeights.generate(resnetSpec(in, out), seed);
        Img x = VaeReference.random(2, in, 5, 7, seed + 100);
        Img expected = VaeReference.resnet(host, "blk", groups, x);
        try (NDManager m = manager.newSubManager(); Weights w = VaeReference.toWeights(host, m)) {
            ResnetBlock block = ResnetBlock.of(w.scope("blk"), groups, k);
            if (in == out) {
                assertNull(block.shortcut());
            } else {
                assertNotNull(block.shortcut());
            }
            assertClose(expected, block.apply(x.toNd(m)));
        }
    }

    @ParameterizedTest
    @MethodSource("kernels")
    void attentionMatchesReference(Kernels k) {
        int c = 8;
        int groups = 2;
        WeightSpec s = new WeightSpec();
        norm(s, "attn.norm", c);
        for (String p : new String[] {"q", "k", "v", "proj_out"}) {
            conv(s, "attn." + p, c, c, 1);
        }
        Map<String, HostTensor> host = RandomWeights.generate(s, 21);
        Img x = VaeReference.random(2, c, 3, 5, 22);
        Img expected = VaeReference.attentionBlock(host, "attn", groups, x);
        try (NDManager m = manager.newSubManager(); Weights w = VaeReference.toWeights(host, m)) {
            assertClose(expected, VaeAttention.of(w.scope("attn"), groups, k).apply(x.toNd(m)));
        }
    }

    @Test
    void upsampleMatchesReference() {
        int c = 3;
        WeightSpec s = new WeightSpec();
        conv(s, "up.upsample.conv", c, c, 3);
        Map<String, HostTensor> host = RandomWeights.generate(s, 31);
        Img x = VaeReference.random(2, c, 3, 4, 32);
        Img expected = VaeReference.upsample(host, "up.upsample", x);
        try (NDManager m = manager.newSubManager(); Weights w = VaeReference.toWeights(host, m)) {
            assertClose(expected, Upsample.of(w.scope("up")).apply(x.toNd(m)));
        }
    }

    @Test
    void repeatAlongBothAxesIsNearestUpsampling() {
        Img x = VaeReference.random(1, 2, 3, 5, 41);
        try (NDManager m = manager.newSubManager()) {
            NDArray up = Upsample.nearest2x(x.toNd(m));
            Img expected = VaeReference.nearest2x(x);
            assertArrayEquals(new long[] {1, 2, 6, 10}, up.getShape().getShape());
            assertArrayEquals(expected.d(), up.toFloatArray(), 0f);
            // A hand-checked corner: in[0][0][1][2] lands on out rows 2-3, columns 4-5.
            float v = x.at(0, 0, 1, 2);
            assertEquals(v, up.getFloat(0, 0, 2, 4));
            assertEquals(v, up.getFloat(0, 0, 3, 5));
        }
    }
}
