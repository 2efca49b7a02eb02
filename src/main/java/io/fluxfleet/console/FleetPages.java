package io.fluxfleet.console;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import io.quarkus.qute.TemplateInstance;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;

/** The fleet: workers and their slots from the heartbeats, consumer lag, render figures as charts. Operators only. */
@Path("/console/fleet")
public class FleetPages {

    @Inject
    @Location("console/fleet.html")
    Template page;

    @Inject
    Workers workers;

    @Inject
    ConsumerLag lag;

    @Inject
    RenderStats stats;

    @Context
    ContainerRequestContext request;

    @GET
    @Produces(MediaType.TEXT_HTML)
    public TemplateInstance show() {
        Viewer viewer = operator();
        return page.data("viewer", viewer).data("workers", workers.all(Instant.now())).data("lag", lag.read())
                .data("chartJs", WebJars.path("chart.js", "dist/chart.umd.js"));
    }

    @GET
    @Path("stats")
    @Produces(MediaType.APPLICATION_JSON)
    public RenderStats.Series stats() {
        operator();
        return stats.series(Instant.now());
    }

    private Viewer operator() {
        Viewer viewer = ConsoleAccess.of(request);
        if (!viewer.operator()) {
            throw ConsoleException.forbidden("the fleet page is for operators");
        }
        return viewer;
    }
}
