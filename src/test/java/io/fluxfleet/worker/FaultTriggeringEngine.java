package io.fluxfleet.worker;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.worker.render.Engine;
import io.fluxfleet.worker.render.EngineCall;
import io.fluxfleet.worker.render.SlotPool;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Alternative;
import java.time.Duration;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * The engine of the @QuarkusTest workers, with engine faults no CPU can produce on demand, triggered
 * by markers in the prompt (docs/reliability.md): {@code [[test:oom]]} and {@code [[test:device-error]]}
 * make every step throw what CUDA would, {@code [[test:slow]]} sleeps 250 ms per step; and a slow model
 * load ({@value #SLOW_WARM_UP}) for cold-start tests. Test code only: the packaged worker has none of it.
 */
@Alternative
@Priority(1)
@ApplicationScoped
public class FaultTriggeringEngine extends Engine {

    /** Test profiles set this to make the warm-up render (model load) take that long: a cold start. */
    static final String SLOW_WARM_UP = "test.fluxfleet.slow-warm-up";

    @Override
    public RenderResult render(FluxPipeline pipeline, EngineCall call) {
        StepObserver observer = call.observer();
        String prompt = call.request().prompt();
        if (SlotPool.WARM_UP_PROMPT.equals(prompt)) {
            ConfigProvider.getConfig().getOptionalValue(SLOW_WARM_UP, Duration.class).ifPresent(d -> sleep(d.toMillis()));
        }
        return super.render(pipeline, call.withObserver((step, total, sigma, evaluations) -> {
            observer.onStep(step, total, sigma, evaluations);
            if (prompt.contains("[[test:slow]]")) {
                sleep(250);
            }
            if (prompt.contains("[[test:oom]]")) {
                throw new IllegalStateException("CUDA error: out of memory (test hook)");
            }
            if (prompt.contains("[[test:device-error]]")) {
                throw new IllegalStateException("CUDA error: an illegal memory access was encountered (test hook)");
            }
        }));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
