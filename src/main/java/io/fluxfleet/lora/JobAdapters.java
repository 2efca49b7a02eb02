package io.fluxfleet.lora;

import io.fluxfleet.flux.lora.AdapterConfig;
import io.fluxfleet.flux.lora.DeviceAdapter;
import io.fluxfleet.flux.lora.DeviceAdapterCache;
import io.fluxfleet.flux.lora.LoraReader;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.tensor.ComputePolicy;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's {@code loras} made ready for one pipeline: files fetched (disk cache), parsed and mapped
 * (only when not already on the device), uploaded (device cache), and paired with the job's scales.
 * Every failure that is the adapter's fault is a {@link io.fluxfleet.flux.lora.LoraException}.
 */
public final class JobAdapters implements AutoCloseable {

    /** What a render binds, and what its completed event reports. */
    public record Prepared(List<ActiveAdapters.Applied> applied, List<LoraUse> used) {
        public static final Prepared NONE = new Prepared(List.of(), List.of());
    }

    private final AdapterFiles files;
    private final LoraReader reader;
    private final DeviceAdapterCache deviceCache;

    public JobAdapters(AdapterFiles files, FluxConfig config, ComputePolicy policy, long deviceCacheBytes) {
        this.files = files;
        this.reader = new LoraReader(config);
        this.deviceCache = new DeviceAdapterCache(policy.device(), policy.transformerType(), deviceCacheBytes);
    }

    public Prepared prepare(List<JobRequest.Lora> loras) {
        if (loras.isEmpty()) {
            return Prepared.NONE;
        }
        List<LocalAdapter> local = loras.stream().map(l -> files.fetch(l.source())).toList();
        List<DeviceAdapterCache.Request> requests = new ArrayList<>();
        for (LocalAdapter a : local) {
            // The same bytes with another adapter_config.json scale differently: both are in the key.
            String key = a.sha256() + (a.adapterConfig() == null ? "" : "+" + a.adapterConfig().getFileName());
            requests.add(new DeviceAdapterCache.Request(key,
                    () -> reader.read(a.source(), a.file(), AdapterConfig.read(a.adapterConfig()))));
        }
        List<DeviceAdapter> onDevice = deviceCache.acquire(requests);
        List<ActiveAdapters.Applied> applied = new ArrayList<>();
        List<LoraUse> used = new ArrayList<>();
        for (int i = 0; i < loras.size(); i++) {
            applied.add(new ActiveAdapters.Applied(onDevice.get(i).updates(), (float) loras.get(i).scale()));
            used.add(new LoraUse(loras.get(i).source(), loras.get(i).scale(), local.get(i).sha256()));
        }
        return new Prepared(applied, used);
    }

    /** Device memory the cached adapters hold (for the metrics). */
    public long deviceBytes() {
        return deviceCache.usedBytes();
    }

    @Override
    public void close() {
        deviceCache.close();
    }
}
