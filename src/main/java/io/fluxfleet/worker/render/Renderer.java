package io.fluxfleet.worker.render;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.lora.JobAdapters;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingTrace;
import io.fluxfleet.sampling.trace.TraceRecorder;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.HandBack;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.WorkerIdentity;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.worker.outcome.EventPublisher;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import org.jboss.logging.Logger;

/**
 * The render step: borrows a warm device slot, announces the start, runs the engine (one in-place
 * retry after an out-of-memory error, with the caches freed), and gives the slot back. Every failure
 * becomes a {@link JobFailure}: cancel and deadline are permanent, the rest transient.
 */
@ApplicationScoped
public class Renderer {

    private static final Logger LOG = Logger.getLogger(Renderer.class);

    @Inject
    FleetConfig config;

    @Inject
    SlotPool slots;

    @Inject
    Engine engine;

    @Inject
    EngineFailures engineFailures;

    @Inject
    ProgressEvents progress;

    @Inject
    EventPublisher events;

    @Inject
    FleetMetrics metrics;

    @Inject
    WorkerIdentity identity;

    @Inject
    AdapterLibrary adapters;

    public Rendered render(Job job) {
        Slot slot = acquire(job);
        try {
            events.publishAndForget(new JobEvent.Started(JobEvent.VERSION, job.jobId(), identity.id(), job.attempt(),
                    Instant.now(), slot.device(), job.delivery().queueWaitMs()), job.jobId(), job.tenant());
            JobRequest request = job.request();
            long seed = Seeds.of(request);
            float guidance = (float) (request.guidance() != null ? request.guidance() : JobRequest.DEFAULT_GUIDANCE);
            RenderRequest renderRequest = new RenderRequest(request.prompt(), request.width(), request.height(), seed,
                    guidance, request.maxSequenceLength());
            long r0 = System.nanoTime();
            TraceRecorder trace = request.wantsTrace() ? new TraceRecorder() : null;
            JobAdapters.Prepared loras = adapters.prepare(job, slot);
            RenderResult result = renderRetryingOutOfMemory(job, slot, renderRequest, loras, trace);
            long renderNanos = System.nanoTime() - r0;
            engineFailures.succeeded();
            return new Rendered(result, seed, slot.device(), renderNanos, flopsSavedFraction(result, request), trace,
                    loras.used());
        } catch (JobFailure e) {
            throw e;
        } catch (CancellationException e) {
            String m = String.valueOf(e.getMessage());
            if (m.startsWith(ProgressEvents.CANCELLED_MESSAGE)) {
                throw JobFailure.permanent(ErrorCode.CANCELLED, m);
            }
            if (m.startsWith(ProgressEvents.DEADLINE_MESSAGE)) {
                throw JobFailure.permanent(ErrorCode.EXPIRED, m);
            }
            throw JobFailure.transientFailure(ErrorCode.RENDER_FAILED, m);
        } catch (RuntimeException | Error e) {
            EngineFailures.Kind kind = EngineFailures.classify(e);
            LOG.errorf(e, "job %s: render failed on %s (%s)", job.jobId(), slot.device(), kind);
            throw JobFailure.transientFailure(ErrorCode.RENDER_FAILED, "render failed on " + slot.device() + " ("
                    + kind + "): " + e);
        } finally {
            slots.release(slot);
        }
    }

    private Slot acquire(Job job) {
        Slot slot;
        try {
            slot = slots.acquire(job.jobId());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            slot = null;
        }
        if (slot == null) {
            throw new HandBack("job " + job.jobId() + ": the worker stops before a slot was free");
        }
        return slot;
    }

    /** An out-of-memory error is retried once in place, after freeing the engine's caches. */
    private RenderResult renderRetryingOutOfMemory(Job job, Slot slot, RenderRequest renderRequest,
            JobAdapters.Prepared loras, TraceRecorder trace) {
        FluxPipeline pipeline = slot.pipeline();
        LatentGrid grid = LatentGrid.forImage(renderRequest.width(), renderRequest.height());
        for (int inPlace = 0; ; inPlace++) {
            Sampler sampler = Samplers.create(job.request(), job.acceleration(), pipeline);
            TraceRecorder attemptTrace = trace == null ? null : trace.reset(); // an in-place retry records afresh
            metrics.engineRenderStarted();
            try {
                return engine.render(pipeline, new EngineCall(renderRequest, sampler,
                        progress.observer(job, Samplers.plannedTokenEvaluations(sampler, grid)),
                        attemptTrace == null ? SamplingTrace.NONE : attemptTrace, loras.applied()));
            } catch (CancellationException e) {
                throw e;
            } catch (RuntimeException | Error e) {
                EngineFailures.Kind kind = engineFailures.failed(e);
                if (kind == EngineFailures.Kind.OUT_OF_MEMORY && inPlace == 0) {
                    LOG.warnf("job %s: out of memory on %s; freeing caches and retrying once in place", job.jobId(),
                            slot.device());
                    EngineFailures.freeCaches();
                    continue;
                }
                throw e;
            }
        }
    }

    /** 1 - FLOPs / FLOPs of 50 full steps, from the stages the sampler actually ran. */
    private double flopsSavedFraction(RenderResult rendered, JobRequest request) {
        LatentGrid grid = LatentGrid.forImage(request.width(), request.height());
        long[][] stages = rendered.stages().stream()
                .map(s -> new long[] {s.steps(), s.tokensPerStep()}).toArray(long[][]::new);
        long textTokens = rendered.textTokens();
        double saved = FlopsModel.savedFraction(slots.model().transformerConfig(), stages, grid.tokens(), textTokens);
        return Double.isFinite(saved) ? Math.min(1.0, saved) : 0.0;
    }
}
