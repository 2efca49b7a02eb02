package io.fluxfleet.flux.lora;

import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random low-rank changes of a FLUX transformer, written as adapter files in the kohya and the
 * diffusers/PEFT naming. The PEFT names are spelled out here by hand, independently of the
 * engine's mapping table, so a wrong table fails the parity tests.
 */
public final class TestAdapters {

    /** delta W = alpha / rank * up down, per canonical layer. */
    public record Factors(Map<String, HostTensor[]> layers, int rank, float alpha) {

        public float fileScale() {
            return alpha / rank;
        }
    }

    /** Layers of every kind: fused qkv (both streams), linear1, halves-swapped final modulation, embedders. */
    public static final List<String> LAYERS = List.of("img_in", "double_blocks.0.img_attn.qkv",
            "double_blocks.1.txt_attn.qkv", "double_blocks.0.txt_mlp.0", "double_blocks.1.img_mod.lin",
            "single_blocks.1.linear1", "single_blocks.0.linear2", "final_layer.adaLN_modulation.1");

    private TestAdapters() {}

    public static Factors random(FluxConfig c, int rank, float alpha, long seed) {
        Random rng = new Random(seed);
        Map<String, HostTensor[]> layers = new LinkedHashMap<>();
        for (String layer : LAYERS) {
            long[] w = c.spec().shape(layer + ".weight");
            layers.put(layer, new HostTensor[] {gaussian(new long[] {rank, w[1]}, 0.3 / Math.sqrt(w[1]), rng),
                    gaussian(new long[] {w[0], rank}, 0.3 / Math.sqrt(rank), rng)});
        }
        return new Factors(layers, rank, alpha);
    }

    private static HostTensor gaussian(long[] shape, double std, Random rng) {
        float[] v = new float[(int) (shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * rng.nextGaussian());
        }
        return new HostTensor(shape, v);
    }

    public static void writeKohya(Path file, Factors f) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        f.layers().forEach((layer, ab) -> {
            String module = "lora_unet_" + layer.replace('.', '_');
            t.put(module + ".lora_down.weight", ab[0]);
            t.put(module + ".lora_up.weight", ab[1]);
            t.put(module + ".alpha", new HostTensor(new long[] {}, new float[] {f.alpha()}));
        });
        write(file, t);
    }

    /** The PEFT file plus adapter_config.json (lora_alpha) next to it. */
    public static void writePeft(Path file, Factors f, FluxConfig c) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        long h = c.hidden();
        f.layers().forEach((layer, ab) -> {
            String[] p = layer.split("\\.");
            switch (p[0]) {
                case "img_in" -> peft(t, "x_embedder", ab[0], rows(ab[1], 0, ab[1].shape()[0]));
                case "double_blocks" -> {
                    String b = "transformer_blocks." + p[1] + ".";
                    switch (p[2] + "." + p[3]) {
                        case "img_attn.qkv" -> thirds(t, b, ab, h, "attn.to_q", "attn.to_k", "attn.to_v");
                        case "txt_attn.qkv" -> thirds(t, b, ab, h, "attn.add_q_proj", "attn.add_k_proj",
                                "attn.add_v_proj");
                        case "txt_mlp.0" -> peft(t, b + "ff_context.net.0.proj", ab[0], ab[1]);
                        case "img_mod.lin" -> peft(t, b + "norm1.linear", ab[0], ab[1]);
                        default -> throw new IllegalArgumentException(layer);
                    }
                }
                case "single_blocks" -> {
                    String b = "single_transformer_blocks." + p[1] + ".";
                    if (p[2].equals("linear2")) {
                        peft(t, b + "proj_out", ab[0], ab[1]);
                    } else {
                        thirds(t, b, ab, h, "attn.to_q", "attn.to_k", "attn.to_v");
                        peft(t, b + "proj_mlp", ab[0], rows(ab[1], 3 * h, ab[1].shape()[0]));
                    }
                }
                case "final_layer" -> { // diffusers stores (scale, shift): the halves swapped
                    long out = ab[1].shape()[0];
                    HostTensor first = rows(ab[1], out / 2, out);
                    HostTensor second = rows(ab[1], 0, out / 2);
                    float[] swapped = Arrays.copyOf(first.data(), ab[1].data().length);
                    System.arraycopy(second.data(), 0, swapped, first.data().length, second.data().length);
                    peft(t, "norm_out.linear", ab[0], new HostTensor(ab[1].shape(), swapped));
                }
                default -> throw new IllegalArgumentException(layer);
            }
        });
        write(file, t);
        try {
            Files.writeString(file.resolveSibling("adapter_config.json"), "{\"peft_type\": \"LORA\", \"r\": "
                    + f.rank() + ", \"lora_alpha\": " + f.alpha() + ", \"target_modules\": [\"to_q\"]}");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void thirds(Map<String, HostTensor> t, String block, HostTensor[] ab, long h, String... names) {
        for (int i = 0; i < 3; i++) {
            peft(t, block + names[i], ab[0], rows(ab[1], i * h, (i + 1) * h));
        }
    }

    private static void peft(Map<String, HostTensor> t, String module, HostTensor a, HostTensor b) {
        t.put("transformer." + module + ".lora_A.weight", a);
        t.put("transformer." + module + ".lora_B.weight", b);
    }

    static HostTensor rows(HostTensor m, long from, long to) {
        long cols = m.shape()[1];
        return new HostTensor(new long[] {to - from, cols},
                Arrays.copyOfRange(m.data(), (int) (from * cols), (int) (to * cols)));
    }

    public static void write(Path file, Map<String, HostTensor> tensors) {
        try {
            SafetensorsWriter.write(file, tensors, StoredType.F32);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
