package io.fluxfleet.worker.render;

import io.fluxfleet.worker.FleetConfig;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Classifies engine failures (GPU out of memory, sticky device errors, anything else) and counts
 * consecutive device errors: once {@code fluxfleet.reliability.device-errors-for-down} of them happen
 * in a row (no successful render between), liveness goes DOWN so that Kubernetes restarts the pod.
 */
@ApplicationScoped
public class EngineFailures {

    /** What kind of engine failure. */
    public enum Kind { OUT_OF_MEMORY, DEVICE_ERROR, OTHER }

    @Inject
    FleetConfig config;

    private final AtomicInteger consecutiveDeviceErrors = new AtomicInteger();
    private volatile String lastDeviceError;

    /** OUT_OF_MEMORY when any cause's message says "out of memory"; DEVICE_ERROR for other CUDA/device errors. */
    public static Kind classify(Throwable failure) {
        boolean device = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof OutOfMemoryError && t.getMessage() != null
                    && t.getMessage().toLowerCase(Locale.ROOT).contains("direct buffer")) {
                return Kind.OUT_OF_MEMORY;
            }
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (m.contains("out of memory")) {
                return Kind.OUT_OF_MEMORY;
            }
            if (m.contains("cuda error") || m.contains("device-side assert") || m.contains("cudnn_status")
                    || m.contains("cublas_status")) {
                device = true;
            }
        }
        return device ? Kind.DEVICE_ERROR : Kind.OTHER;
    }

    /** Records a failure; returns its kind. */
    public Kind failed(Throwable failure) {
        Kind kind = classify(failure);
        if (kind == Kind.DEVICE_ERROR) {
            consecutiveDeviceErrors.incrementAndGet();
            lastDeviceError = String.valueOf(failure.getMessage());
        }
        return kind;
    }

    /** A render succeeded: the device works. */
    public void succeeded() {
        consecutiveDeviceErrors.set(0);
    }

    public boolean live() {
        return consecutiveDeviceErrors.get() < Math.max(1, config.reliability().deviceErrorsForDown());
    }

    public int consecutiveDeviceErrors() {
        return consecutiveDeviceErrors.get();
    }

    public String lastDeviceError() {
        return lastDeviceError;
    }

    /** Frees what the engine caches between renders (on CUDA the caching allocator; here a GC of NDArray finalizers). */
    public static void freeCaches() {
        System.gc();
    }
}
