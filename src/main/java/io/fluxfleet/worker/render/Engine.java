package io.fluxfleet.worker.render;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.StepObserver;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;

/** One engine render on a slot's pipeline; the single place where the worker calls the engine. */
@ApplicationScoped
public class Engine {

    public RenderResult render(FluxPipeline pipeline, RenderRequest request, List<ActiveAdapters.Applied> adapters,
            Sampler sampler, StepObserver observer) {
        return pipeline.render(request, adapters, sampler, observer);
    }
}
