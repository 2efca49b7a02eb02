package io.fluxfleet.gateway;

import io.fluxfleet.tenant.Tenant;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every /v1 request needs {@code Authorization: Bearer <API key>}; the key decides the tenant
 * (stored as the request property {@value #TENANT}). /v1 answers 404 where the gateway role is off.
 */
public class TenantFilter {

    static final String TENANT = "fluxfleet.tenant";

    @Inject
    GatewayConfig config;

    @Inject
    TenantAccess access;

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/v1")) {
            return null;
        }
        if (!config.enabled()) {
            return Response.status(404).type(MediaType.APPLICATION_JSON)
                    .entity(ApiError.of("NOT_FOUND", "this instance does not run the gateway role")).build();
        }
        Tenant tenant = access.authenticate(request.getHeaderString("Authorization")).orElse(null);
        if (tenant == null) {
            return Response.status(401).type(MediaType.APPLICATION_JSON).header("WWW-Authenticate", "Bearer")
                    .entity(ApiError.of("UNAUTHORIZED", "send Authorization: Bearer <your API key>")).build();
        }
        request.setProperty(TENANT, tenant);
        return null;
    }
}
