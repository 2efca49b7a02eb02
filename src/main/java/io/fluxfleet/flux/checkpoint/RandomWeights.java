package io.fluxfleet.flux.checkpoint;

import io.fluxfleet.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.random.Well19937c;

/**
 * Deterministic random weights for a {@link WeightSpec}: the UNTRAINED tiny checkpoint used by
 * tests and demos (real FLUX weights cannot be downloaded here). Scales keep activations O(1):
 * matrices and kernels N(0, 1/fan_in), biases N(0, 0.02), norm scales 1 + N(0, 0.1). Each
 * tensor has its own stream (seed and name), so adding a tensor does not change the others.
 */
public final class RandomWeights {

    private RandomWeights() {}

    public static Map<String, HostTensor> generate(WeightSpec spec, long seed) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : spec.shapes().entrySet()) {
            out.put(e.getKey(), tensor(e.getKey(), e.getValue(), seed));
        }
        return out;
    }

    /** The canonical tensors split into what {@code layout} stores. */
    public static Map<String, HostTensor> inLayout(WeightSpec spec, Layout layout, Map<String, HostTensor> canonical) {
        Map<String, HostTensor> stored = new LinkedHashMap<>();
        List<Recipe> recipes = layout.recipes(spec, Set.of());
        for (Recipe r : recipes) {
            stored.putAll(r.split(canonical.get(r.target())));
        }
        return stored;
    }

    private static HostTensor tensor(String name, long[] shape, long seed) {
        int n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, (int) d);
        }
        Well19937c rng = new Well19937c(seed * 1_000_003L + name.hashCode());
        float[] data = new float[n];
        boolean isNormScale = shape.length == 1 && (name.contains("norm") || name.endsWith(".scale"));
        double std;
        double mean = 0;
        if (isNormScale) {
            mean = 1;
            std = 0.1;
        } else if (shape.length == 1) {
            std = 0.02;
        } else {
            long fanIn = 1;
            for (int i = 1; i < shape.length; i++) {
                fanIn *= shape[i];
            }
            // Embedding tables [vocab, width] and position tables read one row: unit scale.
            if (name.contains("embedding") || name.contains("shared") || name.contains("embed_tokens")
                    || name.contains("relative_attention_bias")) {
                fanIn = 1;
            }
            std = 1 / Math.sqrt(fanIn);
        }
        for (int i = 0; i < n; i++) {
            data[i] = (float) (mean + std * rng.nextGaussian());
        }
        return new HostTensor(shape, data);
    }
}
