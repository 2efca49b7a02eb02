package io.fluxfleet.tensor;

import java.util.Arrays;

/** A float tensor in Java memory, for writing checkpoints and for tests. Row-major. */
public record HostTensor(long[] shape, float[] data) {

    public HostTensor {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
    }
}
