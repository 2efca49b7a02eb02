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
    /** SHA-256 of the published demo operator key (application.properties, %dev/%demo/%test only). */
    static final String DEMO_KEY_SHA256 = "94163afbcc1df6849898862c51cb7e664693381fb57bb4c7de4cf1a9a1f667d9";
    private static final java.util.Set<String> LOCAL_PROFILES = java.util.Set.of("dev", "demo", "test");

    @Inject
    ConsoleConfig config;

    @Inject
    GatewayConfig gateway;

    @Inject
    TenantAccess tenants;

    /** The published demo operator key opens every tenant: refused outside the dev, demo and test profiles. */
    void onStart(@jakarta.enterprise.event.Observes io.quarkus.runtime.StartupEvent event) {
        boolean local = io.quarkus.runtime.configuration.ConfigUtils.getProfiles().stream().anyMatch(LOCAL_PROFILES::contains);
        if (!local && config.operatorKeySha256().orElse(List.of()).stream().anyMatch(h -> DEMO_KEY_SHA256.equalsIgnoreCase(h.trim()))) {
            throw new IllegalStateException("fluxfleet.console.operator-key-sha256 holds the published demo operator key;"
                    + " make your own: KEY=$(openssl rand -hex 24); printf %s \"$KEY\" | sha256sum");
        }
    }

    @ServerRequestFilter
    public Response authenticate(ContainerRequestContext request) {
        String path = request.getUriInfo().getPath();
        if (!path.equals("/console") && !path.startsWith("/console/")) {
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
