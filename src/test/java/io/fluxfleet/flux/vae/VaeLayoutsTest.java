package io.fluxfleet.flux.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeLayoutsTest {

    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager(Device.cpu());
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static Map<String, String> storedNames(VaeLayouts layout, WeightSpec spec) {
        Map<String, String> m = new LinkedHashMap<>();
        for (Recipe r : layout.recipes(spec, Set.of())) {
            assertEquals(1, r.sources().size());
            m.put(r.target(), r.sources().get(0));
        }
        return m;
    }

    @Test
    void diffusersNamesOfTheFluxDecoder() {
        WeightSpec spec = VaeConfig.flux().spec();
        Map<String, String> n = storedNames(VaeLayouts.DIFFUSERS, spec);
        assertEquals(spec.shapes().size(), n.size());
        assertEquals(n.size(), new HashSet<>(n.values()).size(), "stored names are distinct");
        assertEquals("decoder.conv_in.weight", n.get("decoder.conv_in.weight"));
        assertEquals("decoder.mid_block.resnets.0.norm1.weight", n.get("decoder.mid.block_1.norm1.weight"));
        assertEquals("decoder.mid_block.resnets.1.conv2.bias", n.get("decoder.mid.block_2.conv2.bias"));
        assertEquals("decoder.mid_block.attentions.0.group_norm.bias", n.get("decoder.mid.attn_1.norm.bias"));
        assertEquals("decoder.mid_block.attentions.0.to_q.weight", n.get("decoder.mid.attn_1.q.weight"));
        assertEquals("decoder.mid_block.attentions.0.to_k.bias", n.get("decoder.mid.attn_1.k.bias"));
        assertEquals("decoder.mid_block.attentions.0.to_v.weight", n.get("decoder.mid.attn_1.v.weight"));
        assertEquals("decoder.mid_block.attentions.0.to_out.0.weight", n.get("decoder.mid.attn_1.proj_out.weight"));
        assertEquals("decoder.up_blocks.0.resnets.0.conv1.weight", n.get("decoder.up.3.block.0.conv1.weight"));
        assertEquals("decoder.up_blocks.0.upsamplers.0.conv.weight", n.get("decoder.up.3.upsample.conv.weight"));
        assertEquals("decoder.up_blocks.1.resnets.2.norm2.bias", n.get("decoder.up.2.block.2.norm2.bias"));
        assertEquals("decoder.up_blocks.2.resnets.0.conv_shortcut.weight",
                n.get("decoder.up.1.block.0.nin_shortcut.weight"));
        assertEquals("decoder.up_blocks.2.upsamplers.0.conv.bias", n.get("decoder.up.1.upsample.conv.bias"));
        assertEquals("decoder.up_blocks.3.resnets.0.conv_shortcut.bias", n.get("decoder.up.0.block.0.nin_shortcut.bias"));
        assertEquals("decoder.conv_norm_out.weight", n.get("decoder.norm_out.weight"));
        assertEquals("decoder.conv_out.bias", n.get("decoder.conv_out.bias"));
        assertTrue(n.values().stream().noneMatch(s -> s.startsWith("decoder.up_blocks.3.upsamplers")));

        // attention projections are stored as Linear [512, 512]; everything else keeps its shape
        for (Recipe r : VaeLayouts.DIFFUSERS.recipes(spec, Set.of())) {
            boolean projection = r.target().matches("decoder\\.mid\\.attn_1\\.(q|k|v|proj_out)\\.weight");
            assertEquals(projection ? Recipe.Op.RESHAPE : Recipe.Op.RENAME, r.op(), r.target());
            if (projection) {
                assertArrayEquals(new long[] {512, 512}, r.sourceShapes().get(0));
            }
        }
        // the original layout stores the canonical names
        storedNames(VaeLayouts.ORIGINAL, spec).forEach((k, v) -> assertEquals(k, v));
    }

    @Test
    void detectsTheLayoutFromStoredNames() {
        assertEquals(VaeLayouts.DIFFUSERS, VaeLayouts.detect(Set.of("encoder.conv_in.weight",
                "decoder.conv_in.weight", "decoder.mid_block.resnets.0.conv1.weight")));
        assertEquals(VaeLayouts.ORIGINAL, VaeLayouts.detect(Set.of("encoder.conv_in.weight",
                "decoder.conv_in.weight", "decoder.mid.block_1.conv1.weight")));
        assertThrows(CheckpointException.class, () -> VaeLayouts.detect(Set.of("img_in.weight")));
    }

    private static Map<String, HostTensor> withEncoderTensor(Map<String, HostTensor> stored) {
        Map<String, HostTensor> m = new LinkedHashMap<>(stored);
        m.put("encoder.conv_in.weight", new HostTensor(new long[] {4, 3, 3, 3}, new float[108]));
        return m;
    }

    @Test
    void originalAndDiffusersFilesDecodeIdentically(@TempDir Path dir) throws IOException {
        VaeConfig cfg = VaeConfig.tiny();
        WeightSpec spec = cfg.spec();
        Map<String, HostTensor> canonical = RandomWeights.generate(spec, 3);
        Path original = dir.resolve("flux/ae.safetensors");
        SafetensorsWriter.write(original,
                withEncoderTensor(RandomWeights.inLayout(spec, VaeLayouts.ORIGINAL, canonical)), StoredType.F32);
        Path vaeDir = dir.resolve("hf/vae");
        Map<String, HostTensor> diffusers = RandomWeights.inLayout(spec, VaeLayouts.DIFFUSERS, canonical);
        long mid = cfg.midChannels();
        assertArrayEquals(new long[] {mid, mid},
                diffusers.get("decoder.mid_block.attentions.0.to_q.weight").shape());
        SafetensorsWriter.write(vaeDir.resolve("diffusion_pytorch_model.safetensors"),
                withEncoderTensor(diffusers), StoredType.F32);

        ComputePolicy policy = ComputePolicy.forDevice(Device.cpu(), Kernels.Choice.FUSED);
        float[] a;
        float[] b;
        float[] c;
        float[] d;
        try (NDManager m = manager.newSubManager()) {
            NDArray latent = VaeReference.random(1, 16, 3, 2, 17).toNd(m);
            try (VaeDecoder vae = VaeDecoder.load(original, VaeLayouts.ORIGINAL, cfg, policy)) {
                a = vae.decode(latent).toFloatArray();
            }
            try (VaeDecoder vae = VaeDecoder.load(vaeDir, VaeLayouts.DIFFUSERS, cfg, policy)) {
                b = vae.decode(latent).toFloatArray();
            }
            // layout detection, and the directory forms (original folder, diffusers repository root)
            try (VaeDecoder vae = VaeDecoder.load(original.getParent(), null, cfg, policy)) {
                c = vae.decode(latent).toFloatArray();
            }
            try (VaeDecoder vae = VaeDecoder.load(dir.resolve("hf"), null, cfg, policy)) {
                d = vae.decode(latent).toFloatArray();
            }
        }
        assertEquals(3 * 24 * 16, a.length);
        assertArrayEquals(a, b, 0f);
        assertArrayEquals(a, c, 0f);
        assertArrayEquals(a, d, 0f);
    }

    @Test
    void missingOrMisshapedTensorIsReportedWithKeyAndShapes(@TempDir Path dir) throws IOException {
        VaeConfig cfg = VaeConfig.tiny();
        WeightSpec spec = cfg.spec();
        Map<String, HostTensor> stored = new LinkedHashMap<>(
                RandomWeights.inLayout(spec, VaeLayouts.DIFFUSERS, RandomWeights.generate(spec, 4)));
        stored.remove("decoder.up_blocks.2.resnets.0.conv_shortcut.weight");
        long mid = cfg.midChannels();
        // tiny: level 1 is narrower than level 2, so its first block has a shortcut
        long[] shortcut = {cfg.levelChannels(1), cfg.levelChannels(2), 1, 1};
        assertArrayEquals(shortcut, spec.shape("decoder.up.1.block.0.nin_shortcut.weight"));
        stored.put("decoder.mid_block.attentions.0.to_k.weight", new HostTensor(new long[] {mid, 3}, new float[(int) mid * 3]));
        Path file = dir.resolve("vae/diffusion_pytorch_model.safetensors");
        SafetensorsWriter.write(file, stored, StoredType.F32);

        ComputePolicy policy = ComputePolicy.forDevice(Device.cpu(), Kernels.Choice.FUSED);
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> VaeDecoder.load(file.getParent(), VaeLayouts.DIFFUSERS, cfg, policy));
        String msg = e.getMessage();
        assertTrue(msg.contains("VAE"), msg);
        assertTrue(msg.contains("'decoder.up_blocks.2.resnets.0.conv_shortcut.weight'"), msg);
        assertTrue(msg.contains(java.util.Arrays.toString(shortcut)), msg);
        assertTrue(msg.contains("'decoder.mid_block.attentions.0.to_k.weight'"), msg);
        assertTrue(msg.contains("[" + mid + ", 3]") && msg.contains("[" + mid + ", " + mid + "]"), msg);
        assertTrue(msg.contains("2 problems"), msg);
    }

    @Test
    void missingFileIsACheckpointError(@TempDir Path dir) {
        assertThrows(CheckpointException.class, () -> VaeDecoder.load(dir.resolve("nope.safetensors"),
                null, VaeConfig.tiny(), ComputePolicy.cpu()));
    }

    @Test
    void everyTinyTensorIsInBothLayouts() {
        WeightSpec spec = VaeConfig.tiny().spec();
        for (VaeLayouts l : List.of(VaeLayouts.ORIGINAL, VaeLayouts.DIFFUSERS)) {
            assertEquals(spec.shapes().keySet(), storedNames(l, spec).keySet());
        }
    }
}
