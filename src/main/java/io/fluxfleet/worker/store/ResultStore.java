package io.fluxfleet.worker.store;

import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.ObjectKeys;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.storage.StorageException;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.WorkerIdentity;
import io.fluxfleet.worker.intake.Job;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.trace.TraceFiles;
import io.fluxfleet.worker.render.Rendered;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import org.jboss.logging.Logger;

/**
 * The store step: encodes the image, uploads it and then its sidecar (a sidecar means a complete
 * image), and returns the completed event (not yet published). When another render of the job
 * stored its result first, that result stands. Transient upload failures (connection, 5xx,
 * throttling) that outlast the in-place retries (within the upload budget) become STORAGE_FAILED
 * (retry topic); a refusal (NoSuchBucket, AccessDenied, other 4xx) becomes STORAGE_REJECTED (DLQ at once).
 */
@ApplicationScoped
public class ResultStore {

    private static final Logger LOG = Logger.getLogger(ResultStore.class);

    @Inject
    FleetConfig config;

    @Inject
    ObjectStore store;

    @Inject
    Uploads uploads;

    @Inject
    EarlierResults earlierResults;

    @Inject
    CompletedEvents completedEvents;

    @Inject
    FleetMetrics metrics;

    @Inject
    WorkerIdentity identity;

    public JobEvent.Completed store(Job job, Rendered rendered) {
        Optional<JobEvent.Completed> first = earlierResults.find(job);
        if (first.isPresent()) {
            // Another render of this job stored its result meanwhile (a rebalance moved the job while it
            // rendered): the first stored result stands, so every completed event names one object.
            LOG.infof("job %s: another render stored its result first; answering with that one", job.jobId());
            metrics.duplicateRender();
            return first.get();
        }
        try {
            return upload(job, rendered);
        } catch (StorageException e) {
            LOG.errorf("job %s: %s", job.jobId(), e.getMessage());
            if (e.permanent()) {
                // Retrying cannot help until the bucket, credentials or policy change: dead-letter it now.
                throw JobFailure.permanent(ErrorCode.STORAGE_REJECTED, e.getMessage());
            }
            throw JobFailure.transientFailure(ErrorCode.STORAGE_FAILED, e.getMessage());
        } catch (JobFailure e) {
            throw e;
        } catch (RuntimeException e) {
            LOG.errorf(e, "job %s: failed after the render", job.jobId());
            throw JobFailure.transientFailure(ErrorCode.RENDER_FAILED, "failed after the render: " + e);
        }
    }

    private JobEvent.Completed upload(Job job, Rendered rendered) {
        JobRequest request = job.request();
        RenderResult result = rendered.result();
        long e0 = System.nanoTime();
        byte[] image = ImageEncoding.encode(result.image(), request.output().format());
        String sha256 = ImageEncoding.sha256(image);
        long encodeMs = (System.nanoTime() - e0) / 1_000_000;
        String imageKey = TenantKeys.imageKey(job);
        String sidecarKey = TenantKeys.sidecarKey(job);
        String contentType = request.output().format().contentType();
        List<Long> perStage = result.stages().stream().map(SamplingResult.Stage::tokenEvaluations).toList();

        long u0 = System.nanoTime();
        long deadline = u0 + config.reliability().uploadBudget().toNanos();
        uploads.put(new Uploads.Upload(job.bucket(), imageKey, image, contentType), deadline);
        List<String> traceKeys = rendered.trace() == null ? null : uploadTrace(job, rendered, deadline);
        Sidecar sidecar = new Sidecar(Sidecar.VERSION, job.jobId(), job.bucket(), imageKey, contentType, image.length,
                sha256, request.width(), request.height(), rendered.seed(), request.model(), job.model().kind(),
                job.acceleration(),
                result.sampler(), result.steps(), result.tokenEvaluations(), perStage, rendered.flopsSavedFraction(),
                timings(job, result, encodeMs, u0), identity.id(), rendered.device(), job.attempt(), Instant.now(),
                request, job.tenant().id(), Sidecar.requestSha256(request), result.textTokens(), traceKeys,
                rendered.loras());
        uploads.put(new Uploads.Upload(job.bucket(), sidecarKey,
                JobJson.toJson(sidecar).getBytes(StandardCharsets.UTF_8), "application/json"), deadline);
        return completedEvents.of(job, sidecar, timings(job, result, encodeMs, u0));
    }

    /** The sampler trace beside the image (before the sidecar, which lists the keys). */
    private List<String> uploadTrace(Job job, Rendered rendered, long deadline) {
        Map<String, byte[]> files = TraceFiles.encode(rendered.trace(), new TraceFiles.Header(
                rendered.result().sampler(), rendered.seed(),
                LatentGrid.forImage(job.request().width(), job.request().height())), rendered.result().image());
        List<String> keys = new java.util.ArrayList<>();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            String key = TenantKeys.traceKey(job, f.getKey());
            uploads.put(new Uploads.Upload(job.bucket(), key, f.getValue(), TRACE_TYPES.get(f.getKey())), deadline);
            keys.add(key);
        }
        return keys;
    }

    private static final Map<String, String> TRACE_TYPES = Map.of(TraceFiles.INDEX, "application/json",
            TraceFiles.TENSORS, "application/octet-stream", TraceFiles.PICTURE, "image/png");

    private static JobEvent.Timings timings(Job job, RenderResult result, long encodeMs, long uploadStartNanos) {
        RenderResult.Timings t = result.timings();
        long queueWaitMs = job.delivery().queueWaitMs();
        return new JobEvent.Timings(queueWaitMs, t.textEncodeMs(), t.denoiseMs(), t.decodeMs(), encodeMs,
                (System.nanoTime() - uploadStartNanos) / 1_000_000,
                queueWaitMs + (System.nanoTime() - job.delivery().pickupNanos()) / 1_000_000);
    }
}
