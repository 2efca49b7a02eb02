package io.fluxfleet.gateway;

import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/** Maps the gateway's own failures to JSON answers. */
public class GatewayExceptionMappers {

    @ServerExceptionMapper
    public Response unavailable(GatewayUnavailableException e) {
        return Response.status(503).type(MediaType.APPLICATION_JSON).header("Retry-After", 2)
                .entity(ApiError.of("UNAVAILABLE", e.getMessage())).build();
    }
}
