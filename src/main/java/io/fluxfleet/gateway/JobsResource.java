package io.fluxfleet.gateway;

import io.fluxfleet.job.JobEvent;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.worker.FleetConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.security.SecurityRequirement;
import org.eclipse.microprofile.openapi.annotations.security.SecurityScheme;
import org.eclipse.microprofile.openapi.annotations.enums.SecuritySchemeType;

/** The HTTP API of the gateway role, /v1 (docs/integration-guide.md). */
@Path("/v1/jobs")
@Produces(MediaType.APPLICATION_JSON)
@SecurityScheme(securitySchemeName = "apiKey", type = SecuritySchemeType.HTTP, scheme = "bearer")
@SecurityRequirement(name = "apiKey")
public class JobsResource {

    @Inject
    Submissions submissions;

    @Inject
    JobStateStore states;

    @Inject
    JobViews views;

    @Inject
    EventFeed feed;

    @Inject
    RateLimits limits;

    @Inject
    GatewayProducer producer;

    @Inject
    FleetConfig fleet;

    @Inject
    GatewayConfig config;

    @Inject
    ObjectStore store;

    @Inject
    GatewayMetrics metrics;

    @Inject
    io.vertx.core.Vertx vertx;

    @Context
    ContainerRequestContext request;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit a job", description = "202 once the job record is acknowledged by Kafka (acks=all);"
            + " 200 for a repeat of the same jobId with the same body; 409 JOB_ID_CONFLICT for a different body.")
    @RequestBody(content = @Content(schema = @Schema(implementation = JobRequest.class)))
    @APIResponse(responseCode = "202", content = @Content(schema = @Schema(implementation = JobView.class)))
    @APIResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "429", content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response submit(byte[] body) {
        Tenant tenant = tenant();
        Submissions.Outcome outcome;
        try {
            throttle(tenant);
            outcome = submissions.submit(tenant, body);
        } catch (ApiException e) {
            metrics.submit(tenant.id(), e.code());
            if (e.getResponse().getStatus() == 429 && !"RATE_LIMITED".equals(e.code())) {
                metrics.refused(tenant.id(), e.code());
            }
            throw e;
        }
        metrics.submit(tenant.id(), outcome.created() ? "accepted" : "repeated");
        JobView view = views.of(outcome.state(), tenant);
        if (!outcome.created()) {
            return Response.ok(view).build();
        }
        return Response.accepted(view).location(URI.create("/v1/jobs/" + view.jobId())).build();
    }

    @GET
    @Path("{id}")
    @Operation(summary = "A job's state, progress, timings and result")
    public JobView get(@PathParam("id") String id) {
        Tenant tenant = tenant();
        return views.of(owned(id, tenant), tenant);
    }

    @GET
    @Path("{id}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "The job's lifecycle events as Server-Sent Events (id = CloudEvents id, event = type);"
            + " Last-Event-ID resumes; the stream ends after completed or a final failed")
    public void events(@PathParam("id") String id, @HeaderParam("Last-Event-ID") String lastEventId,
            @Context SseEventSink sink, @Context Sse sse) {
        Tenant tenant = tenant();
        owned(id, tenant);
        JobEventStream stream = new JobEventStream(sink, sse);
        stream.skip(ResumePoint.await(() -> owned(id, tenant), () -> feed.recent(id), lastEventId,
                config.sse().resumeWait()));
        stream.open(feed, owned(id, tenant));
        stream.keepAlive(vertx, config.sse().heartbeat());
    }

    @POST
    @Path("{id}/cancel")
    @Operation(summary = "Cancel a job (control topic); 409 JOB_TERMINAL when it already ended")
    public Response cancel(@PathParam("id") String id) {
        Tenant tenant = tenant();
        JobState state = owned(id, tenant);
        if (state.state().terminal()) {
            throw new ApiException(409, "JOB_TERMINAL", "job " + id + " already " + state.state().wireName());
        }
        throttle(tenant);
        producer.sendAndAwait(new ProducerRecord<>(fleet.topics().control(), id,
                "{\"type\":\"cancel\"}".getBytes(StandardCharsets.UTF_8)));
        return Response.accepted(views.of(state, tenant)).build();
    }

    @GET
    @Operation(summary = "The tenant's jobs, newest first; filter by state and label (key=value), page with cursor")
    public JobPage list(@QueryParam("state") String state, @QueryParam("label") List<String> labels,
            @QueryParam("cursor") String cursor, @QueryParam("limit") Integer limit) {
        Tenant tenant = tenant();
        JobStatus wanted;
        try {
            wanted = state == null ? null : JobStatus.parse(state);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "INVALID_FIELD", e.getMessage());
        }
        Map<String, String> labelFilter = new java.util.HashMap<>();
        for (String l : labels) {
            int eq = l.indexOf('=');
            if (eq < 1) {
                throw new ApiException(400, "INVALID_FIELD", "label filters are key=value: " + l);
            }
            labelFilter.put(l.substring(0, eq), l.substring(eq + 1));
        }
        int size = Math.min(config.submit().maxPageSize(), Math.max(1, limit == null ? 20 : limit));
        JobStateStore.Page page = states.list(tenant.id(), JobPage.decode(cursor), size, summary -> {
            if (wanted != null && !wanted.wireName().equals(summary.get("state"))) {
                return false;
            }
            Object l = summary.get("labels");
            return labelFilter.isEmpty() || (l instanceof Map<?, ?> m
                    && labelFilter.entrySet().stream().allMatch(f -> f.getValue().equals(m.get(f.getKey()))));
        });
        return JobPage.of(page);
    }

    @GET
    @Path("{id}/image")
    @Produces({"image/png", "image/jpeg", "image/webp", MediaType.APPLICATION_JSON})
    @Operation(summary = "The image: a redirect to a fresh presigned URL, or the bytes when the tenant does not presign")
    public Response image(@PathParam("id") String id) {
        Tenant tenant = tenant();
        JobView view = views.of(owned(id, tenant), tenant);
        JobEvent.Completed result = view.result();
        if (result == null) {
            throw new ApiException(409, "JOB_NOT_COMPLETED", "job " + id + " is " + view.state().wireName());
        }
        if (view.presignedUrl() != null) {
            return Response.temporaryRedirect(URI.create(view.presignedUrl())).build();
        }
        byte[] bytes = store.get(result.bucket(), result.key())
                .orElseThrow(() -> new ApiException(404, "NOT_FOUND", "the image of job " + id + " is gone"));
        return Response.ok(bytes, result.contentType()).build();
    }

    private Tenant tenant() {
        return (Tenant) request.getProperty(TenantFilter.TENANT);
    }

    /** The job if it belongs to the tenant; 404 otherwise, whether it exists or not. */
    private JobState owned(String id, Tenant tenant) {
        return submissions.lookup(id).filter(s -> tenant.id().equals(s.tenant()))
                .orElseThrow(() -> ApiException.notFound(id));
    }

    private void throttle(Tenant tenant) {
        limits.acquire(tenant.id()).ifPresent(wait -> {
            metrics.refused(tenant.id(), "RATE_LIMITED");
            throw ApiException.tooMany("RATE_LIMITED", "tenant " + tenant.id() + " is over its request rate", wait);
        });
    }
}
