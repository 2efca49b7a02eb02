package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;
import org.apache.commons.math3.random.RandomGenerator;
import org.apache.commons.math3.random.Well19937c;

/**
 * Every random draw of a job comes from its seed, through named streams: the initial noise, the
 * JiT anchor top-up, the transition noise... are independent of each other, so a sampler that
 * draws more from one stream does not shift another. Draws are made in Java (Well19937c), so
 * the same job gives the same numbers on any worker, CPU or GPU, and no global engine seed is
 * shared between concurrent jobs.
 */
public final class SeededStreams {

    private final long seed;

    public SeededStreams(long seed) {
        this.seed = seed;
    }

    public long seed() {
        return seed;
    }

    /** A generator for one named purpose of this job. */
    public RandomGenerator stream(String name) {
        long h = 1469598103934665603L; // FNV-1a over the name, mixed with the seed
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ b) * 1099511628211L;
        }
        long mixed = seed * 0x9E3779B97F4A7C15L ^ h;
        return new Well19937c(new int[] {(int) mixed, (int) (mixed >>> 32), (int) seed, (int) (seed >>> 32)});
    }

    /** Standard-normal values from a named stream, as a fp32 tensor of the given shape. */
    public NDArray normal(String name, Shape shape, NDManager manager) {
        RandomGenerator rng = stream(name);
        float[] values = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) rng.nextGaussian();
        }
        return manager.create(values, shape);
    }
}
