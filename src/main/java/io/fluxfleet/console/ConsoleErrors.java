package io.fluxfleet.console;

import io.quarkus.qute.Location;
import io.quarkus.qute.Template;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** The console's error page: what went wrong, in words, with the way back. */
public class ConsoleErrors {

    @Inject
    @Location("console/error.html")
    Template page;

    @ServerExceptionMapper
    public Response map(ConsoleException e) {
        String title = e.status() == 404 ? "Not found" : e.status() == 403 ? "Not for this key" : "Cannot show this";
        return Response.status(e.status()).type(MediaType.TEXT_HTML_TYPE)
                .entity(page.data("title", title).data("message", e.getMessage()).render()).build();
    }
}
