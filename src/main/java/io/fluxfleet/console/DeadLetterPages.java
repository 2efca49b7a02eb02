package io.fluxfleet.console;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.FormParam;
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
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/** The dead letters: the table, one dead letter with its request (editable), replay of one or a filtered set. */
@Path("/console/dlq")
public class DeadLetterPages {

    @Inject
    @Location("console/dlq.html")
    Template table;

    @Inject
    @Location("console/dead-letter.html")
    Template one;

    @Inject
    DeadLetters deadLetters;

    @Inject
    Replays replays;

    @Context
    ContainerRequestContext request;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance list(@QueryParam("code") String code, @QueryParam("tenant") String tenant,
            @QueryParam("notice") String notice) {
        Viewer viewer = ConsoleAccess.of(request);
        return table.data("viewer", viewer).data("letters", deadLetters.list(filter(viewer, code, tenant)))
                .data("code", code == null ? "" : code).data("tenant", tenant == null ? "" : tenant)
                .data("notice", notice);
    }

    @GET
    @Path("{id}")
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show(@PathParam("id") String id) {
        Viewer viewer = ConsoleAccess.of(request);
        return one.data("viewer", viewer).data("dead", visible(viewer, id)).data("error", null)
                .data("request", visible(viewer, id).request());
    }

    @POST
    @Path("{id}/replay")
    @Produces(MediaType.TEXT_HTML)
    public Response replay(@PathParam("id") String id, @FormParam("request") String edited) {
        Viewer viewer = ConsoleAccess.of(request);
        DeadLetters.DeadLetter dead = visible(viewer, id);
        try {
            replays.replay(viewer, id, edited);
            return Response.seeOther(java.net.URI.create("/console/jobs/" + id + "?replayed=1")).build();
        } catch (Replays.Refused e) {
            return Response.status(409).entity(one.data("viewer", viewer).data("dead", dead).data("error", e.getMessage())
                    .data("request", edited == null || edited.isBlank() ? dead.request() : edited)).build();
        }
    }

    /** Replays every dead letter the filter shows that can go back unchanged; the rest stay, counted. */
    @POST
    @Path("replay")
    public Response replayAll(@FormParam("code") String code, @FormParam("tenant") String tenant) {
        Viewer viewer = ConsoleAccess.of(request);
        int replayed = 0;
        List<String> refused = new ArrayList<>();
        for (DeadLetters.DeadLetter dead : deadLetters.list(filter(viewer, code, tenant))) {
            try {
                replays.replay(viewer, dead.jobId(), null);
                replayed++;
            } catch (Replays.Refused e) {
                refused.add(dead.jobId());
            }
        }
        String notice = "Replayed " + replayed + "; refused " + refused.size()
                + (refused.isEmpty() ? "" : " (validation failures or cut requests: edit each one)");
        return Response.seeOther(jakarta.ws.rs.core.UriBuilder.fromPath("/console/dlq").queryParam("code", code == null ? "" : code)
                .queryParam("tenant", tenant == null ? "" : tenant).queryParam("notice", notice).build()).build();
    }

    private DeadLetters.DeadLetter visible(Viewer viewer, String id) {
        return deadLetters.get(id).filter(d -> viewer.sees(d.tenant()))
                .orElseThrow(() -> ConsoleException.notFound("no dead letter for " + id));
    }

    private static Predicate<DeadLetters.DeadLetter> filter(Viewer viewer, String code, String tenant) {
        return d -> viewer.sees(d.tenant()) && (code == null || code.isBlank() || code.equals(d.code()))
                && (tenant == null || tenant.isBlank() || tenant.equals(d.tenant()));
    }
}
