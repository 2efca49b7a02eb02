package io.fluxfleet.flux.checkpoint;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The tensors a model component needs, by canonical name, with their shapes. Built from the
 * component's config; the single source of truth for loading, validating and writing
 * checkpoints.
 */
public final class WeightSpec {

    private final Map<String, long[]> shapes = new LinkedHashMap<>();

    public WeightSpec add(String name, long... shape) {
        if (shapes.put(name, shape) != null) {
            throw new IllegalStateException("duplicate weight " + name);
        }
        return this;
    }

    /** A Linear layer: weight [out, in] and bias [out]. */
    public WeightSpec linear(String prefix, long in, long out) {
        add(prefix + ".weight", out, in);
        return add(prefix + ".bias", out);
    }

    public Map<String, long[]> shapes() {
        return Collections.unmodifiableMap(shapes);
    }

    public long[] shape(String name) {
        return shapes.get(name);
    }

    public long parameterCount() {
        long n = 0;
        for (long[] s : shapes.values()) {
            long c = 1;
            for (long d : s) {
                c *= d;
            }
            n += c;
        }
        return n;
    }
}
