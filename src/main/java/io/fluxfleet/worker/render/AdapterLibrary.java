package io.fluxfleet.worker.render;

import io.fluxfleet.flux.lora.LoraException;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.lora.AdapterFiles;
import io.fluxfleet.lora.AdapterSettings;
import io.fluxfleet.lora.JobAdapters;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.storage.StorageException;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.LoraConfig;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.intake.Job;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The worker's adapter files (one disk cache shared by all slots) and each slot's adapters. Turns
 * an adapter that cannot be used into a permanent failure of that job (LORA_NOT_FOUND,
 * LORA_INCOMPATIBLE, LORA_TOO_LARGE) and a storage outage into a retry, never a worker crash.
 */
@ApplicationScoped
public class AdapterLibrary {

    @Inject
    FleetConfig config;

    @Inject
    ObjectStore store;

    private AdapterFiles files;

    private synchronized AdapterFiles files() {
        if (files == null) {
            LoraConfig c = config.lora();
            files = new AdapterFiles(store, new AdapterSettings(c.libraryBucket().orElse(null), c.libraryPrefix(),
                    c.maxFileBytes(), c.cacheDir(), c.diskCacheBytes()));
        }
        return files;
    }

    /** The adapters of one model replica: its own device cache over the shared files. */
    public JobAdapters forSlot(FluxConfig model, ComputePolicy policy) {
        return new JobAdapters(files(), model, policy, config.lora().deviceCacheBytes());
    }

    /** The job's adapters on the slot's device, ready to bind. */
    public JobAdapters.Prepared prepare(Job job, Slot slot) {
        if (job.request().loras().isEmpty()) {
            return JobAdapters.Prepared.NONE;
        }
        try {
            return slot.adapters().prepare(job.request().loras());
        } catch (LoraException e) {
            throw JobFailure.permanent(switch (e.kind()) {
                case NOT_FOUND -> ErrorCode.LORA_NOT_FOUND;
                case INCOMPATIBLE -> ErrorCode.LORA_INCOMPATIBLE;
                case TOO_LARGE -> ErrorCode.LORA_TOO_LARGE;
            }, e.getMessage());
        } catch (StorageException e) {
            throw JobFailure.transientFailure(ErrorCode.STORAGE_FAILED, "cannot fetch an adapter: " + e.getMessage());
        }
    }
}
