package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Set;

/**
 * Named tensors on disk: one safetensors file or a sharded set. Headers are read eagerly (so
 * names and shapes can be checked before anything is allocated); data is read per tensor.
 */
public interface TensorSource extends AutoCloseable {

    Set<String> names();

    /** The header entry, or null when the name is absent. */
    TensorInfo info(String name);

    /**
     * Loads one tensor as FLOAT32 on the CPU. BF16 is widened in Java (an exact 16-bit shift) and
     * never reaches DJL, whose native code aborts the JVM on BF16. FP32 data is memory-mapped
     * and shared with the file's pages instead of copied.
     */
    NDArray loadFloat32(String name, NDManager manager);

    @Override
    void close();
}
