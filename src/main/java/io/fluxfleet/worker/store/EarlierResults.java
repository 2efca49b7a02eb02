package io.fluxfleet.worker.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.LoraUse;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.KnownModels;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.worker.intake.Job;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Idempotency: a job whose image and sidecar are already stored is answered from the sidecar,
 * unrendered. The sidecar is written after the image, so its presence means a complete image.
 */
@ApplicationScoped
public class EarlierResults {

    private static final Logger LOG = Logger.getLogger(EarlierResults.class);
    private static final ObjectMapper JSON = JobJson.newMapper();

    @Inject
    ObjectStore store;

    @Inject
    CompletedEvents completedEvents;

    /**
     * The completed event of an earlier render of this job, rebuilt from its sidecar, when image and
     * sidecar exist. The key lies under the job's tenant's prefixes (so the lookup is scoped to
     * tenant and jobId), and the sidecar must name the same tenant and request hash: anything else
     * there is a JOB_ID_CONFLICT, answered with nothing of the stored job and overwriting nothing.
     */
    public Optional<JobEvent.Completed> find(Job job) {
        String sidecarKey = TenantKeys.sidecarKey(job);
        JsonNode stored;
        try {
            Optional<byte[]> bytes = store.get(job.bucket(), sidecarKey);
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            stored = JSON.readTree(bytes.get());
        } catch (Exception e) {
            LOG.warnf("job %s: cannot check for an earlier result (%s); rendering", job.jobId(), e.toString());
            return Optional.empty();
        }
        String tenant = stored.path("tenant").asText(null);
        String hash = stored.path("requestSha256").asText(null);
        if (!job.tenant().id().equals(tenant) || !Sidecar.requestSha256(job.request()).equals(hash)) {
            throw JobFailure.permanent(ErrorCode.JOB_ID_CONFLICT, "s3://" + job.bucket() + "/" + sidecarKey
                    + " holds another " + (job.tenant().id().equals(tenant) ? "request" : "tenant's job")
                    + " with this jobId; use a new jobId (nothing was overwritten)");
        }
        try {
            Sidecar sidecar = read(job, stored);
            var image = store.stat(job.bucket(), sidecar.key());
            if (image.isEmpty() || image.get().bytes() != sidecar.bytes()) {
                return Optional.empty();
            }
            return Optional.of(completedEvents.of(job, sidecar, sidecar.timings()));
        } catch (Exception e) {
            LOG.warnf("job %s: cannot check for an earlier result (%s); rendering", job.jobId(), e.toString());
            return Optional.empty();
        }
    }

    static Sidecar read(Job job, JsonNode s) throws Exception {
        List<Long> perStage = new ArrayList<>();
        s.path("tokenEvaluationsPerStage").forEach(n -> perStage.add(n.asLong()));
        return new Sidecar(s.path("version").asInt(Sidecar.VERSION), job.jobId(), job.bucket(),
                s.path("key").asText(), s.path("contentType").asText(), s.path("bytes").asLong(-1),
                s.path("sha256").asText(), s.path("width").asInt(), s.path("height").asInt(), s.path("seed").asLong(),
                model(job, s), modelKind(job, s),
                Acceleration.parse(s.path("acceleration").asText()).orElseThrow(), s.path("sampler").asText(),
                s.path("steps").asInt(), s.path("tokenEvaluations").asLong(), perStage,
                s.path("flopsSavedFraction").asDouble(), JSON.treeToValue(s.path("timings"), JobEvent.Timings.class),
                s.path("workerId").asText(), s.path("device").asText(), s.path("attempt").asInt(1),
                Instant.parse(s.path("createdAt").asText(Instant.now().toString())), job.request(),
                s.path("tenant").asText(), s.path("requestSha256").asText(),
                s.hasNonNull("textTokens") ? s.get("textTokens").asInt() : null, traceKeys(s), loras(s.path("loras")));
    }

    /** The sidecar's model name; the job's when the sidecar's is unreadable. */
    private static String model(Job job, JsonNode sidecar) {
        String name = sidecar.path("model").asText();
        return KnownModels.isValidName(name) ? name : job.request().model();
    }

    /** The sidecar's model kind; a sidecar from before model catalogs has none: the job's. */
    private static ModelKind modelKind(Job job, JsonNode sidecar) {
        return ModelKind.parse(sidecar.path("modelKind").asText()).orElse(job.model().kind());
    }

    private static List<String> traceKeys(JsonNode sidecar) {
        if (!sidecar.hasNonNull("traceKeys")) {
            return null;
        }
        List<String> keys = new ArrayList<>();
        sidecar.get("traceKeys").forEach(n -> keys.add(n.asText()));
        return keys;
    }

    /** The adapters a sidecar records (none in sidecars written before adapters existed). */
    private static List<LoraUse> loras(JsonNode array) {
        List<LoraUse> loras = new ArrayList<>();
        array.forEach(n -> loras.add(new LoraUse(n.path("source").asText(), n.path("scale").asDouble(),
                n.path("sha256").asText())));
        return loras;
    }
}
