package io.fluxfleet.console;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.FormParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.sse.Sse;
import jakarta.ws.rs.sse.SseEventSink;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Sign-in, the jobs table (live) and the gallery. */
@Path("/console")
public class ConsolePages {

    static final int PAGE_ROWS = 100;
    static final int GALLERY_ITEMS = 48;
    /** The table's time filter: the choices, as shown and as durations back from now. */
    static final Map<String, Duration> TIMES = Map.of("15m", Duration.ofMinutes(15), "1h", Duration.ofHours(1),
            "24h", Duration.ofHours(24), "7d", Duration.ofDays(7));

    @Inject
    @Location("console/login.html")
    Template login;

    @Inject
    @Location("console/jobs.html")
    Template jobs;

    @Inject
    @Location("console/gallery.html")
    Template gallery;

    @Inject
    ConsoleAccess access;

    @Inject
    JobRows rows;

    @Inject
    JobsLive live;

    @Inject
    io.fluxfleet.tenant.TenantDirectory tenants;

    @Context
    ContainerRequestContext request;

    @GET
    public Response root() {
        return Response.seeOther(URI.create("/console/jobs")).build();
    }

    @GET
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance loginPage() {
        return login.data("error", null);
    }

    @POST
    @Path("login")
    @Produces(MediaType.TEXT_HTML)
    public Response signIn(@FormParam("key") String key) {
        if (access.viewer(key).isEmpty()) {
            return Response.status(401).entity(login.data("error", "That key is not an operator or tenant API key.")).build();
        }
        return Response.seeOther(URI.create("/console/jobs")).cookie(access.signIn(key)).build();
    }

    @POST
    @Path("logout")
    public Response signOut() {
        return Response.seeOther(URI.create("/console/login")).cookie(access.signOut()).build();
    }

    @GET
    @Path("jobs")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance jobsPage(@QueryParam("state") String state, @QueryParam("tenant") String tenant,
            @QueryParam("label") String label, @QueryParam("since") String since) {
        Viewer viewer = ConsoleAccess.of(request);
        JobRows.Filter filter = filter(state, tenant, label, since);
        String error = null;
        List<JobRows.JobRow> list = List.of();
        try {
            list = rows.list(viewer, filter, PAGE_ROWS);
        } catch (RuntimeException e) {
            error = e.getMessage();
        }
        return jobs.data("viewer", viewer).data("rows", list).data("error", error)
                .data("liveQuery", query(Map.of("state", nz(state), "tenant", nz(tenant), "label", nz(label),
                        "since", nz(since))))
                .data("state", nz(state)).data("tenant", nz(tenant)).data("label", nz(label)).data("since", nz(since))
                .data("states", List.of("queued", "started", "rendering", "completed", "failed"))
                .data("times", List.of("15m", "1h", "24h", "7d"))
                .data("tenants", viewer.operator() ? tenants.tenants().stream().map(t -> t.id()).sorted().toList() : List.of());
    }

    @GET
    @Path("stream/jobs")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    public void stream(@QueryParam("state") String state, @QueryParam("tenant") String tenant,
            @QueryParam("label") String label, @QueryParam("since") String since, @Context SseEventSink sink,
            @Context Sse sse) {
        live.open(ConsoleAccess.of(request), filter(state, tenant, label, since), sink, sse);
    }

    @GET
    @Path("gallery")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance galleryPage(@QueryParam("tenant") String tenant) {
        Viewer viewer = ConsoleAccess.of(request);
        String error = null;
        List<JobRows.JobRow> list = List.of();
        try {
            list = rows.list(viewer, filter("completed", tenant, null, null), GALLERY_ITEMS);
        } catch (RuntimeException e) {
            error = e.getMessage();
        }
        return gallery.data("viewer", viewer).data("rows", list).data("error", error);
    }

    static JobRows.Filter filter(String state, String tenant, String label, String since) {
        Duration back = since == null ? null : TIMES.get(since);
        return new JobRows.Filter(state, tenant, label, back == null ? null : Instant.now().minus(back));
    }

    /** The filters as the live stream's query string, each value URL-encoded. */
    static String query(Map<String, String> params) {
        return params.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> e.getKey() + "=" + java.net.URLEncoder.encode(e.getValue(), java.nio.charset.StandardCharsets.UTF_8))
                .collect(java.util.stream.Collectors.joining("&"));
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
