package io.fluxfleet.worker.render;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderResult;
import jakarta.enterprise.context.ApplicationScoped;

/** One engine render on a slot's pipeline; the single place where the worker calls the engine. */
@ApplicationScoped
public class Engine {

    public RenderResult render(FluxPipeline pipeline, EngineCall call) {
        return pipeline.render(call.request(), call.adapters(), call.sampler(), call.observer(), call.trace());
    }
}
