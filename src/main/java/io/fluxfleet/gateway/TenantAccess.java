package io.fluxfleet.gateway;

import io.fluxfleet.tenant.ApiKeys;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.fluxfleet.worker.FleetConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * Which tenant a request acts for: its {@code Authorization: Bearer <key>} hashed (SHA-256) and looked
 * up in the tenants file. The key alone decides the tenant; the file holds only hashes.
 */
@ApplicationScoped
public class TenantAccess {

    private static final Logger LOG = Logger.getLogger(TenantAccess.class);

    @Inject
    GatewayConfig config;

    @Inject
    FleetConfig fleet;

    private volatile TenantDirectory directory;

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            return;
        }
        directory = config.tenantsFile().map(this::load).orElseGet(() -> {
            LOG.warn("fluxfleet.gateway.tenants-file is not set: no API key is accepted");
            return TenantDirectory.of(List.of(), validatorLimits());
        });
        LOG.infof("gateway tenants: %s", directory);
    }

    private TenantDirectory load(java.nio.file.Path file) {
        try {
            return TenantDirectory.load(file, validatorLimits());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the tenants file " + file, e);
        }
    }

    io.fluxfleet.job.JobValidator.Limits validatorLimits() {
        return fleet.limits().toValidatorLimits(fleet.storage().bucket());
    }

    /** The tenant with this id. */
    public Optional<Tenant> find(String id) {
        return directory == null ? Optional.empty() : directory.find(id);
    }

    /** The tenant of an Authorization header value, if it carries a known key. */
    public Optional<Tenant> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String key = authorization.substring(7).trim();
        if (key.isEmpty() || directory == null) {
            return Optional.empty();
        }
        return directory.findByApiKeySha256(ApiKeys.sha256Hex(key));
    }
}
