package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.tenant.Tenant;
import io.fluxfleet.tenant.TenantDirectory;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** Issue 13: what the prod profile refuses, and what application.properties may hold. */
class ProdSettingsTest {

    private static final JobValidator.Limits FLEET = JobValidator.Limits.DEFAULTS;

    @Test
    void prodRefusesTheWellKnownDemoCredentials() {
        // Mutation: problem() returning null made this fail.
        assertNotNull(ProdCredentialCheck.problem(true, Optional.of(LocalStack.ACCESS_KEY), Optional.of("x")));
        assertNotNull(ProdCredentialCheck.problem(true, Optional.of("real"), Optional.of(LocalStack.SECRET_KEY)));
        assertNull(ProdCredentialCheck.problem(true, Optional.of("real"), Optional.of("from-a-secret")));
        assertNull(ProdCredentialCheck.problem(false, Optional.of(LocalStack.ACCESS_KEY), Optional.of(LocalStack.SECRET_KEY)));
    }

    @Test
    void noCredentialsOutsideTheDevDemoAndTestProfiles() throws Exception {
        // Mutation: putting quarkus.minio.secret-key back without a profile made this fail.
        Properties properties = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/application.properties")) {
            properties.load(in);
        }
        for (String name : properties.stringPropertyNames()) {
            String bare = name.startsWith("%") ? name.substring(name.indexOf('.') + 1) : name;
            if (io.fluxfleet.deploy.WorkerConfigAccess.isCredentialName(bare)) {
                String profile = name.startsWith("%") ? name.substring(1, name.indexOf('.')) : "";
                assertTrue(List.of("dev", "demo", "test").contains(profile), name + " outside the dev, demo and test profiles");
            }
        }
    }

    @Test
    void prodHasNoDefaultTenant() {
        // Mutation: withDefault ignoring prod made this fail.
        TenantDirectory empty = TenantDirectory.of(List.of(), FLEET);
        Tenant demo = TenantSetup.defaultTenant(TenantDirectory.DEMO_TENANT, FLEET, Duration.ofHours(1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TenantSetup.withDefault(empty, Optional.of(demo), true, FLEET));
        assertTrue(e.getMessage().contains("prod"), e.getMessage());
        assertEquals(TenantDirectory.DEMO_TENANT, TenantSetup.withDefault(empty, Optional.of(demo), false, FLEET)
                .resolve(null).orElseThrow().id());
        assertTrue(TenantSetup.withDefault(empty, Optional.empty(), true, FLEET).resolve(null).isEmpty());
    }
}
