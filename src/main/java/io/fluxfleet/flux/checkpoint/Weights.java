package io.fluxfleet.flux.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;

/**
 * Loaded tensors of one model component by canonical name, owned by one manager (closing it
 * frees them). {@link #scope} gives a block its own prefix so block code uses short names.
 */
public final class Weights implements AutoCloseable {

    private final Map<String, NDArray> tensors;
    private final NDManager manager;
    private final String prefix;

    public Weights(Map<String, NDArray> tensors, NDManager manager) {
        this(tensors, manager, "");
    }

    private Weights(Map<String, NDArray> tensors, NDManager manager, String prefix) {
        this.tensors = tensors;
        this.manager = manager;
        this.prefix = prefix;
    }

    /** Weights from Java arrays (random test weights, benchmark models), already in canonical names. */
    public static Weights fromHost(Map<String, io.fluxfleet.tensor.HostTensor> host, ai.djl.Device device,
            ai.djl.ndarray.types.DataType type) {
        NDManager manager = NDManager.newBaseManager(device);
        Map<String, NDArray> tensors = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, io.fluxfleet.tensor.HostTensor> e : host.entrySet()) {
            NDArray a = manager.create(e.getValue().data(), new ai.djl.ndarray.types.Shape(e.getValue().shape()));
            tensors.put(e.getKey(), a.getDataType() == type ? a : a.toType(type, false));
        }
        return new Weights(tensors, manager);
    }

    public NDArray get(String name) {
        NDArray a = tensors.get(prefix + name);
        if (a == null) {
            throw new CheckpointException("model asked for weight '" + prefix + name + "', which was not loaded");
        }
        return a;
    }

    /**
     * Runs tensor code on a scratch manager; only its result survives, moved to this
     * component's manager (the caller closes it when done).
     */
    public NDArray computeScoped(java.util.function.Function<NDManager, NDArray> body) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray out = body.apply(scratch);
            out.attach(manager);
            return out;
        }
    }

    public boolean has(String name) {
        return tensors.containsKey(prefix + name);
    }

    /** The full canonical name of a weight or layer this scope calls {@code name}. */
    public String qualified(String name) {
        return prefix + name;
    }

    public Weights scope(String childPrefix) {
        return new Weights(tensors, manager, prefix + childPrefix + ".");
    }

    /** Every canonical name held (whatever this view's prefix). */
    public java.util.Set<String> names() {
        return java.util.Collections.unmodifiableSet(tensors.keySet());
    }

    public NDManager manager() {
        return manager;
    }

    public int size() {
        return tensors.size();
    }

    @Override
    public void close() {
        manager.close();
    }
}
