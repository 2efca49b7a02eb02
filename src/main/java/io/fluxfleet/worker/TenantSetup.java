package io.fluxfleet.worker;

import io.fluxfleet.job.JobValidator;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import org.jboss.logging.Logger;

/**
 * The fleet's {@link TenantDirectory} as a bean, from {@code fluxfleet.tenants.*}: the tenants file
 * plus, outside prod, a default tenant for jobs that name none.
 */
@ApplicationScoped
public class TenantSetup {

    private static final Logger LOG = Logger.getLogger(TenantSetup.class);

    @Inject
    FleetConfig config;

    @Produces
    @Singleton
    TenantDirectory tenants() {
        JobValidator.Limits fleet = fleetLimits(config);
        TenantDirectory fromFile = config.tenants().file().map(file -> {
            try {
                return TenantDirectory.load(file, fleet);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read fluxfleet.tenants.file " + file, e);
            }
        }).orElseGet(() -> TenantDirectory.of(java.util.List.of(), fleet));
        Optional<Tenant> defaultTenant = config.tenants().defaultTenant()
                .map(id -> fromFile.find(id).orElseGet(() -> defaultTenant(id, fleet, config.storage().presignExpiry())));
        TenantDirectory directory = withDefault(fromFile, defaultTenant, ConfigUtils.getProfiles().contains("prod"), fleet);
        LOG.infof("tenants: %s", directory);
        return directory;
    }

    /** The fleet's request limits (the tenants' upper bounds). */
    public static JobValidator.Limits fleetLimits(FleetConfig config) {
        return config.limits().toValidatorLimits(config.storage().bucket());
    }

    /**
     * The directory with its default tenant. In prod there is none: a job that names no tenant is
     * UNKNOWN_TENANT, so a misrouted job can never land in a catch-all tenant's prefix.
     */
    static TenantDirectory withDefault(TenantDirectory directory, Optional<Tenant> defaultTenant, boolean prod,
                                       JobValidator.Limits fleet) {
        if (defaultTenant.isEmpty()) {
            return directory;
        }
        if (prod) {
            throw new IllegalStateException("fluxfleet.tenants.default-tenant is set (" + defaultTenant.get().id()
                    + ") in the prod profile: in prod every job must name a known tenant; unset it"
                    + " (it is meant for dev, the demo and tests)");
        }
        return directory.withDefaultTenant(defaultTenant.get(), fleet);
    }

    /** A default tenant not in the tenants file: prefix renders/<id>, the fleet's buckets, presigned URLs on. */
    static Tenant defaultTenant(String id, JobValidator.Limits fleet, Duration presignExpiry) {
        Tenant base = Tenant.withDefaults(id, fleet);
        Tenant.Presign presign = presignExpiry.isZero() ? Tenant.Presign.OFF : new Tenant.Presign(true, presignExpiry);
        return new Tenant(id, fleet.allowedBuckets(), base.keyPrefixes(), base.defaultKeyPrefix(), base.models(),
                base.presets(), base.limits(), presign, Optional.empty(), java.util.Set.of());
    }
}
