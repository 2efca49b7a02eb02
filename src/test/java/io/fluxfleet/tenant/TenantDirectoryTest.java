package io.fluxfleet.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobValidator;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TenantDirectoryTest {

    private static final JobValidator.Limits FLEET = JobValidator.Limits.DEFAULTS;

    private static final String FILE = """
            tenants:
              - id: acme
                buckets: [acme-renders]
                keyPrefixes: [renders/acme, campaigns/acme]
                defaultKeyPrefix: renders/acme
                models: [schnell]
                presets: [jit-4x, custom]
                limits: {maxPixels: 1048576, maxSteps: 40, maxRequestBytes: 16384}
                presign: {enabled: true, expiry: PT15M}
                webhookSecret: acme-webhook-signing-secret
                apiKeySha256: [%s]
              - id: globex
            """.formatted(ApiKeys.sha256Hex("acme-key-1"));

    @Test
    void readsEveryFieldAndDefaultsTheRest() {
        TenantDirectory directory = TenantDirectory.parse(FILE, FLEET);
        Tenant acme = directory.find("acme").orElseThrow();
        assertEquals(Set.of("acme-renders"), acme.buckets());
        assertEquals("renders/acme", acme.defaultKeyPrefix());
        assertEquals(Set.of("schnell"), acme.models());
        assertEquals(Set.of(Acceleration.JIT_4X, Acceleration.CUSTOM), acme.presets());
        assertEquals(new Tenant.Limits(1048576, 40, 16384), acme.limits());
        assertEquals(new Tenant.Presign(true, Duration.ofMinutes(15)), acme.presign());
        assertEquals("acme-webhook-signing-secret", acme.webhookSecret().orElseThrow().value());
        assertEquals(acme, directory.findByApiKeySha256(ApiKeys.sha256Hex("acme-key-1")).orElseThrow());

        // An entry with only an id: renders/<id>, default bucket only, fleet limits, no presigned URLs.
        Tenant globex = directory.find("globex").orElseThrow();
        assertEquals(Set.of("renders/globex"), globex.keyPrefixes());
        assertEquals(Set.of(), globex.buckets());
        assertEquals(Tenant.Limits.of(FLEET), globex.limits());
        assertFalse(globex.presign().enabled());
        assertEquals(Set.copyOf(java.util.EnumSet.allOf(Acceleration.class)), globex.presets());
    }

    @Test
    void withoutADefaultTenantAJobWithoutTenantResolvesToNothing() {
        // Mutation: resolve(null) returning the first tenant made this fail.
        TenantDirectory prod = TenantDirectory.parse(FILE, FLEET);
        assertTrue(prod.resolve(null).isEmpty());
        assertTrue(prod.resolve("initech").isEmpty());
        assertEquals("acme", prod.resolve("acme").orElseThrow().id());

        TenantDirectory dev = prod.withDefaultTenant(Tenant.withDefaults(TenantDirectory.DEMO_TENANT, FLEET), FLEET);
        assertEquals(TenantDirectory.DEMO_TENANT, dev.resolve(null).orElseThrow().id());
        assertTrue(dev.resolve("initech").isEmpty(), "a default tenant does not make unknown tenants known");
    }

    @Test
    void tenantLimitsAboveTheFleetsAreRefused() {
        // Mutation: Limits.within always true made this fail.
        for (String limit : new String[] {"maxPixels: 4194304", "maxSteps: 101", "maxRequestBytes: 70000"}) {
            String file = "tenants:\n  - id: acme\n    limits: {" + limit + "}\n";
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TenantDirectory.parse(file, FLEET));
            assertTrue(e.getMessage().contains("exceed the fleet's"), e.getMessage());
        }
    }

    @Test
    void overlappingPrefixesOfTwoTenantsAreRefused() {
        // Mutation: dropping the overlap loop in TenantDirectory.of made this fail.
        String file = """
                tenants:
                  - id: acme
                    keyPrefixes: [renders/acme]
                  - id: evil
                    keyPrefixes: [renders/acme/evil]
                """;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TenantDirectory.parse(file, FLEET));
        assertTrue(e.getMessage().contains("must not overlap"), e.getMessage());
    }

    @Test
    void everyPrefixContainsTheTenantId() {
        // Mutation: removing the segment check in Tenant.checkedPrefix made this fail.
        String file = "tenants:\n  - id: acme\n    keyPrefixes: [renders]\n";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TenantDirectory.parse(file, FLEET));
        assertTrue(e.getMessage().contains("tenant id as a path segment"), e.getMessage());
    }

    @Test
    void typosAndClearApiKeysAreRefused() {
        // Mutation: skipping the unknown-field check in TenantsFile.object made the first fail.
        assertThrows(IllegalArgumentException.class,
                () -> TenantDirectory.parse("tenants:\n  - id: acme\n    bucket: [x-renders]\n", FLEET));
        assertThrows(IllegalArgumentException.class,
                () -> TenantDirectory.parse("tenants:\n  - id: acme\n    apiKeySha256: [my-clear-key]\n", FLEET));
        assertThrows(IllegalArgumentException.class,
                () -> TenantDirectory.parse("tenants:\n  - id: acme\n  - id: acme\n", FLEET));
    }

    @Test
    void keysOutsideTheTenantsPrefixesAreNotOwned() {
        Tenant acme = TenantDirectory.parse(FILE, FLEET).find("acme").orElseThrow();
        assertTrue(acme.ownsKey("renders/acme/job-1.png"));
        assertTrue(acme.ownsKey("campaigns/acme/spring/job-1.json"));
        assertFalse(acme.ownsKey("renders/acme-evil/job-1.png"));
        assertFalse(acme.ownsKey("renders/acme"));
        assertFalse(acme.ownsKey("renders/acme/../globex/job-1.png"));
        assertFalse(acme.ownsKey("renders/globex/job-1.png"));
    }

    @Test
    void toStringShowsNoSecret() {
        // Mutation: the record's generated toString (printing webhookSecret's value and the hashes) made this fail.
        String shown = TenantDirectory.parse(FILE, FLEET).find("acme").orElseThrow().toString();
        assertFalse(shown.contains("acme-webhook-signing-secret"), shown);
        assertFalse(shown.contains(ApiKeys.sha256Hex("acme-key-1")), shown);
    }
}
