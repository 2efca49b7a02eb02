package io.fluxfleet.gateway;

import io.fluxfleet.tenant.ApiKeys;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;

/**
 * Which tenant a request acts for: its {@code Authorization: Bearer <key>} hashed (SHA-256) and looked
 * up in the fleet's tenants file ({@code fluxfleet.tenants.file}, the same directory the worker reads).
 * The key alone decides the tenant; the file holds only hashes.
 */
@ApplicationScoped
public class TenantAccess {

    /** The fleet's one tenant directory (fluxfleet.tenants.file), shared with the worker role. */
    @Inject
    TenantDirectory directory;

    /** The tenant with this id. */
    public Optional<Tenant> find(String id) {
        return directory.find(id);
    }

    /** The tenant of an Authorization header value, if it carries a known key. */
    public Optional<Tenant> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String key = authorization.substring(7).trim();
        if (key.isEmpty()) {
            return Optional.empty();
        }
        return directory.findByApiKeySha256(ApiKeys.sha256Hex(key));
    }
}
