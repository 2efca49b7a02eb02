package io.fluxfleet.flux.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.transformer.LowRankUpdate;
import io.fluxfleet.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;

/** An adapter's updates on the device, in the transformer's precision, owned by one manager. */
public final class DeviceAdapter implements AutoCloseable {

    private final String name;
    private final Map<String, LowRankUpdate> updates;
    private final long bytes;
    private final NDManager manager;

    private DeviceAdapter(String name, Map<String, LowRankUpdate> updates, long bytes, NDManager manager) {
        this.name = name;
        this.updates = Map.copyOf(updates);
        this.bytes = bytes;
        this.manager = manager;
    }

    public static DeviceAdapter upload(LoraAdapter adapter, Device device, DataType type) {
        NDManager manager = NDManager.newBaseManager(device);
        Map<String, LowRankUpdate> updates = new LinkedHashMap<>();
        long bytes = 0;
        try {
            for (Map.Entry<String, LoraAdapter.Update> e : adapter.updates().entrySet()) {
                updates.put(e.getKey(), new LowRankUpdate(place(e.getValue().down(), manager, device, type),
                        place(e.getValue().up(), manager, device, type)));
                bytes += e.getValue().parameters() * type.getNumOfBytes();
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return new DeviceAdapter(adapter.name(), updates, bytes, manager);
    }

    private static NDArray place(HostTensor t, NDManager manager, Device device, DataType type) {
        NDArray a = manager.create(t.data(), new Shape(t.shape()));
        NDArray placed = a.toDevice(device, false).toType(type, false);
        if (placed != a) {
            a.close();
        }
        return placed;
    }

    public String name() {
        return name;
    }

    /** By canonical layer name, for {@link io.fluxfleet.flux.transformer.ActiveAdapters.Applied}. */
    public Map<String, LowRankUpdate> updates() {
        return updates;
    }

    /** Device memory its tensors hold. */
    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        manager.close();
    }
}
