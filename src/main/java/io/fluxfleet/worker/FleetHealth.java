package io.fluxfleet.worker;

import io.fluxfleet.worker.render.EngineFailures;
import io.fluxfleet.worker.render.Slot;
import io.fluxfleet.worker.render.SlotPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * Health of the worker, next to the Kafka channel checks Quarkus adds:
 * <ul>
 *   <li>/q/health/started and /ready: {@code fluxfleet-model} is DOWN until every slot has loaded its
 *       replica and rendered its warm-up image; /ready also waits for the default bucket;</li>
 *   <li>/q/health/live: {@code fluxfleet-slots}, one entry per slot, DOWN when a slot is broken
 *       (its model failed to load, or the model directory is unusable).</li>
 * </ul>
 */
public final class FleetHealth {

    private FleetHealth() {
    }

    static HealthCheckResponseBuilder model(SlotPool pool) {
        HealthCheckResponseBuilder builder = HealthCheckResponse.named("fluxfleet-model").status(pool.allReady());
        if (pool.model() != null) {
            builder.withData("model", pool.model().root().toString())
                    .withData("variant", pool.served().kind().wireName())
                    .withData("modelName", pool.served().name());
        }
        if (pool.modelError() != null) {
            builder.withData("error", pool.modelError());
        }
        if (pool.loadMs() >= 0) {
            builder.withData("loadAndWarmupMs", pool.loadMs());
        }
        for (Slot slot : pool.slots()) {
            builder.withData("slot-" + slot.index(), slot.device() + " " + slot.state());
        }
        return builder;
    }

    @Readiness
    @ApplicationScoped
    public static class Ready implements HealthCheck {
        @Inject
        SlotPool pool;

        @Inject
        StorageSetup storage;

        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder builder = model(pool);
            builder.withData("bucket", storage.bucketReady() ? "ready" : storage.problem());
            return builder.status(pool.allReady() && storage.bucketReady()).build();
        }
    }

    @Startup
    @ApplicationScoped
    public static class Started implements HealthCheck {
        @Inject
        SlotPool pool;

        @Override
        public HealthCheckResponse call() {
            return model(pool).build();
        }
    }

    @Liveness
    @ApplicationScoped
    public static class Live implements HealthCheck {
        @Inject
        SlotPool pool;

        @Inject
        EngineFailures engine;

        @Override
        public HealthCheckResponse call() {
            HealthCheckResponseBuilder builder = HealthCheckResponse.named("fluxfleet-slots").up();
            if (engine != null && !engine.live()) {
                builder.withData("device", "DOWN after " + engine.consecutiveDeviceErrors()
                        + " consecutive device errors: " + engine.lastDeviceError());
                builder.down();
            }
            for (Slot slot : pool.slots()) {
                String text = slot.device() + " " + slot.state()
                        + (slot.currentJob() != null ? " " + slot.currentJob() : "")
                        + (slot.error() != null ? ": " + slot.error() : "");
                builder.withData("slot-" + slot.index(), text);
                if (slot.state() == Slot.State.BROKEN) {
                    builder.down();
                }
            }
            return builder.build();
        }
    }
}
