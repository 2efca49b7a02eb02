package io.fluxfleet.console;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.gateway.GatewayProducer;
import io.fluxfleet.gateway.JobState;
import io.fluxfleet.job.JobJson;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.worker.FleetConfig;
import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.kafka.clients.producer.ProducerRecord;

/** One job: timeline, image, sidecar, sampler trace, FLOPs saved, cancel. */
@Path("/console/jobs/{id}")
public class JobPages {

    private static final ObjectMapper JSON = JobJson.newMapper();

    @Inject
    @Location("console/job.html")
    Template page;

    @Inject
    JobRows rows;

    @Inject
    Replays replays;

    @Inject
    DeadLetters deadLetters;

    @Inject
    ObjectStore store;

    @Inject
    Thumbnails thumbnails;

    @Inject
    GatewayProducer producer;

    @Inject
    FleetConfig fleet;

    @Context
    ContainerRequestContext request;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@PathParam("id") String id, @QueryParam("replayed") String replayed,
            @QueryParam("cancel") String cancel) {
        Viewer viewer = ConsoleAccess.of(request);
        JobState s = job(viewer, id);
        JsonNode result = s.result();
        String sidecar = null;
        boolean trace = false;
        if (result != null) {
            sidecar = store.get(result.path("bucket").asText(), result.path("sidecarKey").asText())
                    .map(JobPages::pretty).orElse(null);
            trace = store.exists(result.path("bucket").asText(), traceKey(result));
        }
        return page.data("viewer", viewer).data("job", s).data("row", rows.row(s))
                .data("timeline", Timeline.of(s, replays.of(id))).data("result", result)
                .data("flopsSaved", result == null ? null
                        : String.format(java.util.Locale.ROOT, "%.1f %%", 100 * result.path("flopsSavedFraction").asDouble()))
                .data("sidecar", sidecar).data("trace", trace)
                .data("deadLetter", deadLetters.get(id).orElse(null))
                .data("failure", s.failure())
                .data("notice", replayed != null ? "Replayed: the request is back on the jobs topic as a new attempt 1."
                        : cancel != null ? "Cancel sent: the worker stops the job at its next step." : null);
    }

    @GET
    @Path("image")
    public Response image(@PathParam("id") String id) {
        JsonNode result = completed(id);
        byte[] bytes = store.get(result.path("bucket").asText(), result.path("key").asText())
                .orElseThrow(() -> ConsoleException.notFound("the image is gone"));
        return Response.ok(bytes, result.path("contentType").asText("image/png"))
                .header("Cache-Control", "private, max-age=3600").build();
    }

    @GET
    @Path("thumb")
    public Response thumb(@PathParam("id") String id) {
        JsonNode result = completed(id);
        byte[] thumb = thumbnails.of(result.path("bucket").asText(), result.path("key").asText(),
                result.path("sha256").asText()).orElseThrow(() -> ConsoleException.notFound("the image is gone"));
        return Response.ok(thumb, "image/jpeg").header("Cache-Control", "private, max-age=3600").build();
    }

    @GET
    @Path("trace")
    public Response trace(@PathParam("id") String id) {
        JsonNode result = completed(id);
        byte[] png = store.get(result.path("bucket").asText(), traceKey(result))
                .orElseThrow(() -> ConsoleException.notFound("this job has no sampler trace"));
        return Response.ok(png, "image/png").build();
    }

    @POST
    @Path("cancel")
    public Response cancel(@PathParam("id") String id) {
        JobState s = job(ConsoleAccess.of(request), id);
        if (!s.state().terminal()) {
            producer.sendAndAwait(new ProducerRecord<>(fleet.topics().control(), id,
                    "{\"type\":\"cancel\"}".getBytes(StandardCharsets.UTF_8)));
        }
        return Response.seeOther(URI.create("/console/jobs/" + id + "?cancel=sent")).build();
    }

    /** {@code <prefix>/<jobId>+trace.png}: the sidecar's key with the trace picture's suffix (job-contract.md). */
    static String traceKey(JsonNode result) {
        String sidecar = result.path("sidecarKey").asText();
        return sidecar.substring(0, sidecar.length() - ".json".length()) + "+trace.png";
    }

    private JobState job(Viewer viewer, String id) {
        return rows.visible(viewer, id).orElseThrow(() -> ConsoleException.notFound("no job " + id));
    }

    private JsonNode completed(String id) {
        return Optional.ofNullable(job(ConsoleAccess.of(request), id).result())
                .orElseThrow(() -> ConsoleException.notFound("job " + id + " has no image yet"));
    }

    private static String pretty(byte[] json) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(JSON.readTree(json));
        } catch (java.io.IOException e) {
            return new String(json, StandardCharsets.UTF_8);
        }
    }
}
