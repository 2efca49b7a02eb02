package io.fluxfleet.flux.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.fluxfleet.tensor.HostTensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How one canonical tensor is made from the tensors a checkpoint layout stores: renamed, rows
 * of several stored matrices stacked (diffusers stores q, k, v apart), halves swapped (diffusers
 * stores the final layer's modulation as (scale, shift)), or reshaped (diffusers VAE attention
 * as Linear instead of 1x1 conv). Each recipe can also be inverted to write that layout.
 */
public record Recipe(String target, long[] targetShape, Op op, List<String> sources, List<long[]> sourceShapes) {

    public enum Op { RENAME, CONCAT_ROWS, SWAP_HALVES, RESHAPE }

    public static Recipe rename(String target, long[] shape, String source) {
        return new Recipe(target, shape, Op.RENAME, List.of(source), List.of(shape));
    }

    public static Recipe concatRows(String target, long[] shape, List<String> sources, List<long[]> sourceShapes) {
        return new Recipe(target, shape, Op.CONCAT_ROWS, sources, sourceShapes);
    }

    public static Recipe swapHalves(String target, long[] shape, String source) {
        return new Recipe(target, shape, Op.SWAP_HALVES, List.of(source), List.of(shape));
    }

    public static Recipe reshape(String target, long[] shape, String source, long[] sourceShape) {
        return new Recipe(target, shape, Op.RESHAPE, List.of(source), List.of(sourceShape));
    }

    /** Builds the canonical tensor from loaded source tensors (same order as {@link #sources}). */
    public NDArray combine(List<NDArray> loaded) {
        return switch (op) {
            case RENAME -> loaded.get(0);
            case CONCAT_ROWS -> NDArrays.concat(new NDList(loaded), 0);
            case SWAP_HALVES -> {
                NDList halves = loaded.get(0).split(2, 0);
                yield NDArrays.concat(new NDList(halves.get(1), halves.get(0)), 0);
            }
            case RESHAPE -> loaded.get(0).reshape(targetShape);
        };
    }

    /** The inverse of {@link #combine}: the stored tensors for one canonical tensor. */
    public Map<String, HostTensor> split(HostTensor canonical) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        float[] data = canonical.data();
        switch (op) {
            case RENAME -> out.put(sources.get(0), canonical);
            case RESHAPE -> out.put(sources.get(0), new HostTensor(sourceShapes.get(0), data));
            case SWAP_HALVES -> {
                int half = data.length / 2;
                float[] swapped = new float[data.length];
                System.arraycopy(data, half, swapped, 0, half);
                System.arraycopy(data, 0, swapped, half, half);
                out.put(sources.get(0), new HostTensor(canonical.shape(), swapped));
            }
            case CONCAT_ROWS -> {
                int from = 0;
                for (int i = 0; i < sources.size(); i++) {
                    long[] s = sourceShapes.get(i);
                    int n = (int) Arrays.stream(s).reduce(1, (a, b) -> a * b);
                    out.put(sources.get(i), new HostTensor(s, Arrays.copyOfRange(data, from, from + n)));
                    from += n;
                }
            }
        }
        return out;
    }
}
