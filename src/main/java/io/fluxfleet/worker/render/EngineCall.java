package io.fluxfleet.worker.render;

import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingTrace;
import io.fluxfleet.sampling.StepObserver;
import java.util.List;
import java.util.Objects;

/**
 * What one engine render needs besides the slot's pipeline.
 *
 * @param request  prompt, size, seed, guidance and text length
 * @param sampler  the job's sampler, fitted to the pipeline's model
 * @param observer told after every step (progress, cancel, timeout)
 * @param trace    where the sampler reports its calls and draws; {@link SamplingTrace#NONE} when not asked for
 * @param adapters LoRA side paths for this render only; empty for the base model
 */
public record EngineCall(RenderRequest request, Sampler sampler, StepObserver observer, SamplingTrace trace,
        List<ActiveAdapters.Applied> adapters) {

    public EngineCall {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(sampler, "sampler");
        Objects.requireNonNull(observer, "observer");
        trace = trace == null ? SamplingTrace.NONE : trace;
        adapters = adapters == null ? List.of() : List.copyOf(adapters);
    }

    /** The same call with another step observer (a wrapper that adds to the job's). */
    public EngineCall withObserver(StepObserver other) {
        return new EngineCall(request, sampler, other, trace, adapters);
    }
}
