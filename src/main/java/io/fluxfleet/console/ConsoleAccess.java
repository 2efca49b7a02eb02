package io.fluxfleet.console;

import io.fluxfleet.gateway.GatewayConfig;
import io.fluxfleet.gateway.TenantAccess;
import io.fluxfleet.tenant.ApiKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Cookie;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Who a console request acts for: the API key in the console's sign-in cookie, checked like the
 * gateway's Bearer keys (SHA-256 against the tenants file), or against the operator keys
 * ({@code fluxfleet.console.operator-key-sha256}). Without a known key, pages redirect to the sign-in
 * page and everything else answers 401. /console answers 404 where the gateway role is off.
 */
@ApplicationScoped
public class ConsoleAccess {

    static final String COOKIE = "fluxfleet-console-key";
    static final String VIEWER = "fluxfleet.console.viewer";

    @Inject
    ConsoleConfig config;

    @Inject
    GatewayConfig gateway;

    @Inject
    TenantAccess tenants;

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.startsWith("/console")) {
            return null;
        }
        if (!gateway.enabled() || !config.enabled()) {
            return Response.status(404).entity("the console runs in the gateway role").build();
        }
        if (path.equals("/console/login")) {
            return null;
        }
        Cookie cookie = request.getCookies().get(COOKIE);
        Optional<Viewer> viewer = cookie == null ? Optional.empty() : viewer(cookie.getValue());
        if (viewer.isEmpty()) {
            boolean page = "GET".equals(request.getMethod()) && !path.contains("/stream") && !path.endsWith("/stats");
            return page ? Response.seeOther(URI.create("/console/login")).build()
                    : Response.status(401).entity("sign in at /console/login").build();
        }
        request.setProperty(VIEWER, viewer.get());
        return null;
    }

    /** The viewer of an API key: an operator key, else a tenant's key. */
    public Optional<Viewer> viewer(String key) {
        if (key == null || key.isBlank()) {
            return Optional.empty();
        }
        byte[] hash = ApiKeys.sha256Hex(key.trim()).getBytes(StandardCharsets.US_ASCII);
        for (String operator : config.operatorKeySha256().orElse(List.of())) {
            if (MessageDigest.isEqual(hash, operator.trim().toLowerCase().getBytes(StandardCharsets.US_ASCII))) {
                return Optional.of(Viewer.operator("operator-" + operator.trim().substring(0, 8)));
            }
        }
        return tenants.authenticate("Bearer " + key.trim()).map(t -> Viewer.tenant(t.id()));
    }

    NewCookie signIn(String key) {
        return new NewCookie.Builder(COOKIE).value(key.trim()).path("/console").httpOnly(true)
                .secure(config.secureCookie()).sameSite(NewCookie.SameSite.STRICT).maxAge(8 * 3600).build();
    }

    NewCookie signOut() {
        return new NewCookie.Builder(COOKIE).value("").path("/console").httpOnly(true)
                .secure(config.secureCookie()).sameSite(NewCookie.SameSite.STRICT).maxAge(0).build();
    }

    static Viewer of(ContainerRequestContext request) {
        return (Viewer) request.getProperty(VIEWER);
    }
}
