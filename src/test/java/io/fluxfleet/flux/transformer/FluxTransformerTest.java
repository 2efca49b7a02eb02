package io.fluxfleet.flux.transformer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.ShardedSafetensors;
import io.fluxfleet.tensor.StoredType;
import io.fluxfleet.tensor.TensorSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FluxTransformerTest {

    @Test
    void timestepEmbeddingMatchesHandComputedSinusoid() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] e = TimestepEmbedding.embed(m.create(new float[] {0.5f}), m).toFloatArray();
            assertEquals(256, e.length);
            // t = 0.5 is scaled to 500. k = 0: frequency 1; k = 64: exp(-ln(1e4) * 64/128) = 1e-2.
            assertEquals(Math.cos(500), e[0], 1e-3);
            assertEquals(Math.sin(500), e[128], 1e-3);
            assertEquals(Math.cos(5), e[64], 1e-5);
            assertEquals(Math.sin(5), e[128 + 64], 1e-5);
        }
    }

    @Test
    void ropeAnglesFollowPositionTimesFrequencyPerAxis() {
        RotaryEmbedding rope = new RotaryEmbedding(new int[] {4, 14, 14}, 10000);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new float[] {0, 3, 5.5f}, new Shape(1, 1, 3));
            NDList cs = rope.anglesCosSin(ids);
            float[] cos = cs.get(0).toFloatArray();
            float[] sin = cs.get(1).toFloatArray();
            assertEquals(16, cos.length); // 2 + 7 + 7 pairs
            assertEquals(1, cos[0], 1e-6); // axis 0 is always at position 0
            assertEquals(0, sin[1], 1e-6);
            assertEquals(Math.cos(3), cos[2], 1e-5); // row axis, k = 0: frequency 1
            assertEquals(Math.sin(3 * Math.pow(10000, -2.0 / 14)), sin[3], 1e-5); // row axis, k = 1
            assertEquals(Math.cos(5.5), cos[9], 1e-5); // column axis starts at pair 9, half position
            assertEquals(Math.sin(5.5 * Math.pow(10000, -12.0 / 14)), sin[15], 1e-5); // last pair, k = 6
        }
    }

    @Test
    void ropeRotatesAdjacentPairs() {
        try (NDManager m = NDManager.newBaseManager()) {
            // one head, one token, D = 4: pairs (1, 0) and (0, 2); angles pi/2 and pi
            NDArray x = m.create(new float[] {1, 0, 0, 2}, new Shape(1, 1, 1, 4));
            NDArray cos = m.create(new float[] {0, -1}, new Shape(1, 1, 1, 2));
            NDArray sin = m.create(new float[] {1, 0}, new Shape(1, 1, 1, 2));
            for (Kernels k : List.of(Kernels.create(Kernels.Choice.COMPOSED), Kernels.create(Kernels.Choice.FUSED))) {
                assertArrayEquals(new float[] {0, 1, 0, -2}, k.rope(x, cos, sin).toFloatArray(), 1e-6f, k.name());
            }
        }
    }

    @Test
    void tokenOrderDoesNotMatterOnlyIds() {
        LatentGrid grid = new LatentGrid(3, 4);
        try (FluxTransformer t = TinyTransformers.create(Kernels.Choice.FUSED, 1);
                NDManager m = NDManager.newBaseManager()) {
            FluxTransformer.Input in = TinyTransformers.input(m, grid, 2);
            NDArray out = t.forward(in);

            List<Integer> perm = new ArrayList<>();
            for (int i = 0; i < grid.tokens(); i++) {
                perm.add(i);
            }
            Collections.shuffle(perm, new Random(7));
            NDArray index = m.create(perm.stream().mapToLong(Integer::longValue).toArray());
            FluxTransformer.Input shuffled = new FluxTransformer.Input(in.img().get(new NDIndex(":, {}", index)),
                    in.imgIds().get(new NDIndex(":, {}", index)), in.txt(), in.txtIds(), in.timesteps(), in.pooled(),
                    in.guidance());
            NDArray outShuffled = t.forward(shuffled);
            NDArray expected = out.get(new NDIndex(":, {}", index));
            assertTrue(expected.allClose(outShuffled, 1e-4, 1e-5, false), "outputs must be permuted alike");
            // and the ids do matter: the same tokens at other positions give other outputs
            FluxTransformer.Input moved = new FluxTransformer.Input(in.img(), in.imgIds().add(0.5f), in.txt(),
                    in.txtIds(), in.timesteps(), in.pooled(), in.guidance());
            assertTrue(!out.allClose(t.forward(moved), 1e-4, 1e-5, false));
        }
    }

    @Test
    void acceptsAnySubsetOfTokens() {
        LatentGrid grid = new LatentGrid(4, 4);
        try (FluxTransformer t = TinyTransformers.create(Kernels.Choice.FUSED, 1);
                NDManager m = NDManager.newBaseManager()) {
            FluxTransformer.Input in = TinyTransformers.input(m, grid, 3);
            NDArray subset = m.create(new long[] {0, 5, 15});
            FluxTransformer.Input sparse = new FluxTransformer.Input(in.img().get(new NDIndex(":, {}", subset)),
                    in.imgIds().get(new NDIndex(":, {}", subset)), in.txt(), in.txtIds(), in.timesteps(),
                    in.pooled(), in.guidance());
            NDArray out = t.forward(sparse);
            assertEquals(new Shape(1, 3, 64), out.getShape());
            assertTrue(out.isInfinite().logicalOr(out.isNaN()).none().getBoolean());
        }
    }

    @Test
    void fusedAndComposedKernelsAgree() {
        LatentGrid grid = new LatentGrid(3, 3);
        try (FluxTransformer fused = TinyTransformers.create(Kernels.Choice.FUSED, 4);
                FluxTransformer composed = TinyTransformers.create(Kernels.Choice.COMPOSED, 4);
                NDManager m = NDManager.newBaseManager()) {
            FluxTransformer.Input in = TinyTransformers.input(m, grid, 5);
            NDArray a = fused.forward(in);
            NDArray b = composed.forward(in);
            assertTrue(a.allClose(b, 1e-4, 1e-4, false), "max diff " + a.sub(b).abs().max().getFloat());
        }
    }

    @Test
    void originalAndDiffusersLayoutsLoadIntoTheSameModel(@TempDir Path dir) throws Exception {
        FluxConfig config = TinyTransformers.CONFIG;
        Map<String, HostTensor> canonical = RandomWeights.generate(config.spec(), 9);
        SafetensorsWriter.write(dir.resolve("flux1-tiny.safetensors"), canonical, StoredType.F32);
        Path diffusers = dir.resolve("transformer");
        java.nio.file.Files.createDirectories(diffusers);
        Map<String, HostTensor> stored = RandomWeights.inLayout(config.spec(), TransformerLayouts.DIFFUSERS, canonical);
        assertTrue(stored.containsKey("transformer_blocks.0.attn.add_k_proj.weight"));
        assertTrue(stored.containsKey("single_transformer_blocks.1.proj_mlp.bias"));
        assertTrue(stored.containsKey("norm_out.linear.weight"));
        SafetensorsWriter.writeSharded(diffusers, "diffusion_pytorch_model", stored, StoredType.F32, 200_000);

        ComputePolicy policy = ComputePolicy.cpu();
        LatentGrid grid = new LatentGrid(2, 3);
        try (TensorSource original = SafetensorsFile.open(dir.resolve("flux1-tiny.safetensors"));
                TensorSource sharded = ShardedSafetensors.openDirectory(diffusers);
                FluxTransformer a = new FluxTransformer(WeightLoader.load(original, config.spec(),
                        TransformerLayouts.ORIGINAL, "transformer", Device.cpu(), DataType.FLOAT32), config, policy);
                FluxTransformer b = new FluxTransformer(WeightLoader.load(sharded, config.spec(),
                        TransformerLayouts.DIFFUSERS, "transformer", Device.cpu(), DataType.FLOAT32), config, policy);
                NDManager m = NDManager.newBaseManager()) {
            FluxTransformer.Input in = TinyTransformers.input(m, grid, 6);
            assertArrayEquals(a.forward(in).toFloatArray(), b.forward(in).toFloatArray(), 0f);
        }
    }

    @Test
    void misShapedOrMissingTensorIsNamedWithBothShapes(@TempDir Path dir) throws Exception {
        FluxConfig config = TinyTransformers.CONFIG;
        Map<String, HostTensor> canonical = new LinkedHashMap<>(RandomWeights.generate(config.spec(), 9));
        canonical.put("img_in.weight", new HostTensor(new long[] {64, 32}, new float[64 * 32]));
        canonical.remove("single_blocks.1.linear2.bias");
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.write(file, canonical, StoredType.F32);
        try (TensorSource src = SafetensorsFile.open(file)) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> WeightLoader.load(src,
                    config.spec(), TransformerLayouts.ORIGINAL, "transformer", Device.cpu(), DataType.FLOAT32));
            assertTrue(e.getMessage().contains("'img_in.weight' has shape [64, 32] but the model expects [64, 64]"),
                    e.getMessage());
            assertTrue(e.getMessage().contains("missing tensor 'single_blocks.1.linear2.bias' (expected shape [64])"),
                    e.getMessage());
        }
    }
}
