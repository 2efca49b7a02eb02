package io.fluxfleet.bench;

import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.TransformerLayouts;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.random.Well19937c;

/**
 * Random LoRA files touching every Linear layer of a transformer, as trainers write them: kohya
 * (one down/up per fused layer) or diffusers/PEFT (separate q, k, v and proj_mlp), bf16.
 */
public final class RandomAdapters {

    public enum Naming { KOHYA, PEFT }

    private RandomAdapters() {}

    public static void write(Path file, FluxConfig config, int rank, Naming naming, long seed) throws IOException {
        Well19937c rng = new Well19937c(seed);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Recipe r : TransformerLayouts.DIFFUSERS.recipes(config.spec(), Set.of())) {
            long[] shape = r.targetShape();
            if (!r.target().endsWith(".weight") || shape.length != 2) {
                continue;
            }
            if (naming == Naming.KOHYA) {
                String module = "lora_unet_" + r.target().replace(".weight", "").replace('.', '_');
                put(tensors, module + ".lora_down.weight", module + ".lora_up.weight", rank, shape[1], shape[0], rng);
            } else {
                for (int i = 0; i < r.sources().size(); i++) {
                    String module = "transformer." + r.sources().get(i).replace(".weight", "");
                    put(tensors, module + ".lora_A.weight", module + ".lora_B.weight", rank, shape[1],
                            r.sourceShapes().get(i)[0], rng);
                }
            }
        }
        SafetensorsWriter.write(file, tensors, StoredType.BF16);
    }

    private static void put(Map<String, HostTensor> t, String down, String up, int rank, long in, long out,
            Well19937c rng) {
        t.put(down, gaussian(new long[] {rank, in}, 1 / Math.sqrt(in), rng));
        t.put(up, gaussian(new long[] {out, rank}, 0.1 / Math.sqrt(rank), rng));
    }

    private static HostTensor gaussian(long[] shape, double std, Well19937c rng) {
        float[] v = new float[Math.toIntExact(shape[0] * shape[1])];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (std * rng.nextGaussian());
        }
        return new HostTensor(shape, v);
    }
}
