package io.fluxfleet.flux.checkpoint;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.tensor.TensorInfo;
import io.fluxfleet.tensor.TensorSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a component's weights from a stored layout. Every recipe is checked against the file
 * headers first, so a missing or mis-shaped tensor is reported (all of them at once, each with
 * the key and both shapes) before any tensor data is read or any device memory is used.
 */
public final class WeightLoader {

    private WeightLoader() {}

    public static void validate(TensorSource source, List<Recipe> recipes, String component) {
        List<String> problems = new ArrayList<>();
        for (Recipe r : recipes) {
            for (int i = 0; i < r.sources().size(); i++) {
                String key = r.sources().get(i);
                long[] expected = r.sourceShapes().get(i);
                TensorInfo info = source.info(key);
                if (info == null) {
                    problems.add("missing tensor '" + key + "' (expected shape " + Arrays.toString(expected) + ")");
                } else if (!Arrays.equals(info.shape(), expected)) {
                    problems.add("tensor '" + key + "' has shape " + info.shapeString() + " but the model expects "
                            + Arrays.toString(expected));
                }
            }
        }
        if (!problems.isEmpty()) {
            int shown = Math.min(problems.size(), 20);
            throw new CheckpointException(component + " checkpoint " + source + " does not fit the model ("
                    + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  "
                    + String.join("\n  ", problems.subList(0, shown))
                    + (shown < problems.size() ? "\n  ... and " + (problems.size() - shown) + " more" : ""));
        }
    }

    /**
     * Validates, then loads every canonical tensor, converts it to {@code type} and moves it to
     * {@code device}. Host copies are released tensor by tensor, so peak host memory stays near
     * one copy of the weights.
     */
    public static Weights load(TensorSource source, WeightSpec spec, Layout layout, String component,
            Device device, DataType type) {
        List<Recipe> recipes = layout.recipes(spec, source.names());
        validate(source, recipes, component);
        NDManager manager = NDManager.newBaseManager(device);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
            for (Recipe r : recipes) {
                try (NDManager step = host.newSubManager()) {
                    List<NDArray> parts = new ArrayList<>();
                    for (String key : r.sources()) {
                        parts.add(source.loadFloat32(key, step));
                    }
                    NDArray canonical = r.combine(parts);
                    NDArray placed = canonical.toDevice(device, false).toType(type, false);
                    placed.attach(manager); // survives the step scope; the rest is freed with it
                    tensors.put(r.target(), placed);
                }
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new Weights(tensors, manager);
    }
}
