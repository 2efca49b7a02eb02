package io.fluxfleet.flux.lora;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Adapters kept on the device between jobs, least recently used evicted first, bounded in bytes.
 * Keyed by content (the file's sha256), so the same file under two names is uploaded once.
 * Adapters a job asks for are never evicted to make room for each other.
 */
public final class DeviceAdapterCache implements AutoCloseable {

    /** One adapter a job needs: its content key and how to read it when it is not cached. */
    public record Request(String key, Supplier<LoraAdapter> reader) {}

    private final Device device;
    private final DataType type;
    private final long maxBytes;
    private final Map<String, DeviceAdapter> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long usedBytes;

    public DeviceAdapterCache(Device device, DataType type, long maxBytes) {
        this.device = device;
        this.type = type;
        this.maxBytes = maxBytes;
    }

    /** The adapters of one job, in request order, uploading the missing ones. */
    public synchronized List<DeviceAdapter> acquire(List<Request> requests) {
        List<DeviceAdapter> out = new ArrayList<>();
        List<String> wanted = requests.stream().map(Request::key).toList();
        for (Request r : requests) {
            DeviceAdapter cached = entries.get(r.key());
            if (cached == null) {
                LoraAdapter adapter = r.reader().get();
                long bytes = adapter.parameters() * type.getNumOfBytes();
                if (bytes > maxBytes) {
                    throw new LoraException(LoraException.Kind.TOO_LARGE, "adapter '" + adapter.name() + "' needs "
                            + bytes + " bytes of device memory; the device adapter cache holds " + maxBytes);
                }
                evictFor(bytes, wanted);
                cached = DeviceAdapter.upload(adapter, device, type);
                entries.put(r.key(), cached);
                usedBytes += cached.bytes();
            }
            out.add(cached);
        }
        return out;
    }

    private void evictFor(long bytes, Collection<String> keep) {
        for (Iterator<Map.Entry<String, DeviceAdapter>> it = entries.entrySet().iterator();
                it.hasNext() && usedBytes + bytes > maxBytes; ) {
            Map.Entry<String, DeviceAdapter> e = it.next();
            if (!keep.contains(e.getKey())) {
                usedBytes -= e.getValue().bytes();
                e.getValue().close();
                it.remove();
            }
        }
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }

    public synchronized int size() {
        return entries.size();
    }

    @Override
    public synchronized void close() {
        entries.values().forEach(DeviceAdapter::close);
        entries.clear();
        usedBytes = 0;
    }
}
