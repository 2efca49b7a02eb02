package io.fluxfleet.flux.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA on the tiny checkpoint's transformer: both namings, side path vs merged weights, errors. */
class LoraAdapterTest {

    @TempDir
    static Path tmp;

    static FluxModelDirectory model;
    static FluxConfig config;
    static FluxTransformer transformer;
    static LoraReader reader;

    @BeforeAll
    static void load() {
        TinyCheckpoint.write(tmp.resolve("tiny"), TinyCheckpoint.Format.ORIGINAL);
        model = FluxModelDirectory.open(tmp.resolve("tiny"));
        config = model.transformerConfig();
        try (TensorSource s = model.openTransformer()) {
            transformer = new FluxTransformer(WeightLoader.load(s, config.spec(), model.transformerLayout(),
                    "transformer", Device.cpu(), DataType.FLOAT32), config, ComputePolicy.cpu());
        }
        reader = new LoraReader(config);
    }

    @AfterAll
    static void close() {
        transformer.close();
    }

    private static FluxTransformer.Input input(NDManager m) {
        SeededStreams r = new SeededStreams(5);
        LatentGrid grid = new LatentGrid(3, 4);
        return new FluxTransformer.Input(r.normal("img", new Shape(1, grid.tokens(), 64), m), grid.ids(m),
                r.normal("txt", new Shape(1, 6, config.contextDim()), m), m.zeros(new Shape(1, 6, 3)),
                m.create(new float[] {0.6f}), r.normal("pooled", new Shape(1, config.vecDim()), m),
                m.create(new float[] {3.5f}));
    }

    private static float[] forward(FluxTransformer t, List<DeviceAdapter> adapters, float scale) {
        List<ActiveAdapters.Applied> applied = adapters.stream()
                .map(a -> new ActiveAdapters.Applied(a.updates(), scale)).toList();
        try (NDManager m = NDManager.newBaseManager(); ActiveAdapters.Binding b = t.adapters().bind(applied)) {
            return t.forward(input(m)).toFloatArray();
        }
    }

    private static DeviceAdapter upload(LoraAdapter a) {
        return DeviceAdapter.upload(a, Device.cpu(), DataType.FLOAT32);
    }

    private static Path kohya(String name, TestAdapters.Factors f) {
        Path file = tmp.resolve(name + "/kohya.safetensors");
        TestAdapters.writeKohya(file, f);
        return file;
    }

    private static Path peft(String name, TestAdapters.Factors f) {
        Path file = tmp.resolve(name + "/adapter_model.safetensors");
        TestAdapters.writePeft(file, f, config);
        return file;
    }

    // Mutations: (1) every diffusers part at row offset 0 in LoraTargets, (2) not swapping the
    // norm_out.linear halves in LoraReader.placeRows: each made it fail (max diff 0.39, 1.10).
    @Test
    void peftAndKohyaFilesForTheSameDeltaGiveTheSameOutput() {
        TestAdapters.Factors f = TestAdapters.random(config, 4, 8f, 1);
        LoraAdapter k = reader.read("kohya", kohya("parity", f), AdapterConfig.NONE);
        Path peftFile = peft("parity", f);
        LoraAdapter p = reader.read("peft", peftFile, AdapterConfig.read(peftFile.resolveSibling("adapter_config.json")));
        assertEquals(TestAdapters.LAYERS.size(), k.updates().size());
        assertEquals(k.updates().keySet(), p.updates().keySet());
        try (DeviceAdapter dk = upload(k); DeviceAdapter dp = upload(p)) {
            float[] base = forward(transformer, List.of(), 1f);
            float[] viaKohya = forward(transformer, List.of(dk), 1f);
            float[] viaPeft = forward(transformer, List.of(dp), 1f);
            assertTrue(maxDiff(base, viaKohya) > 1e-2, "the adapter must change the output");
            // PEFT's q/k/v arrive as a block-diagonal up matrix: same sums plus exact zeros.
            assertTrue(maxDiff(viaKohya, viaPeft) < 1e-5, "max diff " + maxDiff(viaKohya, viaPeft));
        }
    }

    // Mutation: dropping the alpha/rank factor in LoraReader (scale 1) made it fail (max diff 0.31).
    @Test
    void sidePathEqualsMergedWeightsComputedIndependently() throws Exception {
        TestAdapters.Factors f = TestAdapters.random(config, 4, 8f, 2);
        float jobScale = 0.75f;
        LoraAdapter adapter = reader.read("k", kohya("merged", f), AdapterConfig.NONE);
        Map<String, HostTensor> merged = new LinkedHashMap<>();
        try (TensorSource s = model.openTransformer(); NDManager m = NDManager.newBaseManager()) {
            for (String name : config.spec().shapes().keySet()) {
                merged.put(name, new HostTensor(config.spec().shape(name), s.loadFloat32(name, m).toFloatArray()));
            }
        }
        f.layers().forEach((layer, ab) -> addProduct(merged.get(layer + ".weight"), ab[1], ab[0],
                jobScale * f.fileScale()));
        try (DeviceAdapter d = upload(adapter);
                FluxTransformer mergedModel = new FluxTransformer(Weights.fromHost(merged, Device.cpu(),
                        DataType.FLOAT32), config, ComputePolicy.cpu())) {
            float[] side = forward(transformer, List.of(d), jobScale);
            float[] reference = forward(mergedModel, List.of(), 1f);
            assertTrue(maxDiff(side, reference) < 1e-4, "max diff " + maxDiff(side, reference));
        }
    }

    /** w += s * up down, in double precision. */
    private static void addProduct(HostTensor w, HostTensor up, HostTensor down, float s) {
        int out = (int) w.shape()[0];
        int in = (int) w.shape()[1];
        int r = (int) down.shape()[0];
        for (int i = 0; i < out; i++) {
            for (int j = 0; j < in; j++) {
                double sum = 0;
                for (int k = 0; k < r; k++) {
                    sum += (double) up.data()[i * r + k] * down.data()[k * in + j];
                }
                w.data()[i * in + j] += (float) (s * sum);
            }
        }
    }

    // Mutation: applying the side path with scale 1 whatever the job's scale (and even at 0) made it fail.
    @Test
    void zeroScaleIsTheBaseOutputBitForBitAndUnbindingLeavesNoTrace() {
        LoraAdapter a = reader.read("k", kohya("zero", TestAdapters.random(config, 4, 4f, 3)), AdapterConfig.NONE);
        try (DeviceAdapter d = upload(a)) {
            float[] base = forward(transformer, List.of(), 1f);
            assertArrayEquals(base, forward(transformer, List.of(d), 0f));
            assertFalse(maxDiff(base, forward(transformer, List.of(d), 1f)) == 0f);
            assertArrayEquals(base, forward(transformer, List.of(), 1f), "the base weights must be untouched");
        }
    }

    @Test
    void twoAdaptersAddUp() {
        TestAdapters.Factors f1 = TestAdapters.random(config, 4, 4f, 4);
        TestAdapters.Factors f2 = TestAdapters.random(config, 8, 8f, 5);
        try (DeviceAdapter a = upload(reader.read("a", kohya("a", f1), AdapterConfig.NONE));
                DeviceAdapter b = upload(reader.read("b", kohya("b", f2), AdapterConfig.NONE))) {
            float[] both = forward(transformer, List.of(a, b), 0.5f);
            float[] onlyA = forward(transformer, List.of(a), 0.5f);
            assertTrue(maxDiff(both, onlyA) > 1e-3, "the second adapter must count");
        }
    }

    // Mutation: skipping the text-encoder check gave "names no layer" instead of this message.
    @Test
    void textEncoderAdaptersAreRefusedWithAClearMessage() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", matrix(4, 16));
        t.put("lora_te1_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", matrix(16, 4));
        Path file = tmp.resolve("te.safetensors");
        TestAdapters.write(file, t);
        LoraException e = assertThrows(LoraException.class, () -> reader.read("te", file, AdapterConfig.NONE));
        assertEquals(LoraException.Kind.INCOMPATIBLE, e.kind());
        assertTrue(e.getMessage().contains("changes the text encoders")
                && e.getMessage().contains("lora_te1_text_model_encoder_layers_0_mlp_fc1"), e.getMessage());
    }

    // Mutation: removing the shape check let the mis-shaped file through to a DJL error.
    @Test
    void unknownKeysMissingPartnersAndWrongShapesAreNamed() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("transformer.transformer_blocks.0.attn.to_q.lora_A.weight", matrix(4, 128));
        t.put("transformer.transformer_blocks.0.attn.to_q.lora_B.weight", matrix(100, 4)); // needs [128, 4]
        t.put("transformer.transformer_blocks.9.attn.to_q.lora_A.weight", matrix(4, 128)); // no block 9
        t.put("transformer.transformer_blocks.0.attn.to_k.lora_A.weight", matrix(4, 128)); // no lora_B
        t.put("lora_unet_single_blocks_0_linear1.hada_w1_a", matrix(4, 128)); // LoHa
        Path file = tmp.resolve("bad.safetensors");
        TestAdapters.write(file, t);
        LoraException e = assertThrows(LoraException.class, () -> reader.read("bad", file, AdapterConfig.NONE));
        String msg = e.getMessage();
        assertEquals(LoraException.Kind.INCOMPATIBLE, e.kind());
        assertTrue(msg.contains("'transformer.transformer_blocks.9.attn.to_q.lora_A.weight' names no layer"), msg);
        assertTrue(msg.contains("'lora_unet_single_blocks_0_linear1.hada_w1_a' is not a LoRA weight"), msg);
        assertTrue(msg.contains("module 'transformer.transformer_blocks.0.attn.to_k'"), msg);

        Map<String, HostTensor> shapes = new LinkedHashMap<>();
        shapes.put("transformer.transformer_blocks.0.attn.to_q.lora_A.weight", matrix(4, 128));
        shapes.put("transformer.transformer_blocks.0.attn.to_q.lora_B.weight", matrix(100, 4));
        shapes.put("lora_unet_single_blocks_0_linear1.lora_down.weight", matrix(4, 64));
        shapes.put("lora_unet_single_blocks_0_linear1.lora_up.weight", matrix(896, 4));
        Path misShaped = tmp.resolve("shapes.safetensors");
        TestAdapters.write(misShaped, shapes);
        String m2 = assertThrows(LoraException.class, () -> reader.read("s", misShaped, AdapterConfig.NONE))
                .getMessage();
        assertTrue(m2.contains("'transformer.transformer_blocks.0.attn.to_q.lora_B.weight' has shape [100, 4] but"
                + " needs [128, 4]"), m2);
        assertTrue(m2.contains("'lora_unet_single_blocks_0_linear1.lora_down.weight' has shape [4, 64] but layer"
                + " single_blocks.0.linear1 needs [rank, 128]"), m2);
    }

    @Test
    void aFileThatIsNotSafetensorsIsIncompatible() throws Exception {
        Path file = tmp.resolve("junk.safetensors");
        Files.writeString(file, "<html>not found</html>");
        LoraException e = assertThrows(LoraException.class, () -> reader.read("junk", file, AdapterConfig.NONE));
        assertEquals(LoraException.Kind.INCOMPATIBLE, e.kind());
        assertTrue(e.getMessage().contains("not a readable safetensors file"), e.getMessage());
    }

    private static HostTensor matrix(int rows, int cols) {
        return new HostTensor(new long[] {rows, cols}, new float[rows * cols]);
    }

    static float maxDiff(float[] a, float[] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
