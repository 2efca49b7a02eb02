package io.fluxfleet.console;

import io.fluxfleet.tenant.ApiKeys;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A worker, the gateway role and its console in one test application on the real broker and S3 server of
 * FleetStackResource: two tenants with known keys, the %test operator key, fast heartbeats.
 */
public class ConsoleTestProfile implements QuarkusTestProfile {

    static final String OPERATOR_KEY = "fluxfleet-demo-operator-key";
    static final String ACME_KEY = "console-acme-key";
    static final String GLOBEX_KEY = "console-globex-key";
    /** initech may write to other-renders, a bucket the fleet allows but that never exists: STORAGE_REJECTED. */
    static final String INITECH_KEY = "console-initech-key";

    private static final Path STATE_DIR;
    private static final Path TENANTS;

    static {
        try {
            Path dir = Files.createTempDirectory("fluxfleet-console-test");
            STATE_DIR = dir.resolve("state");
            TENANTS = dir.resolve("tenants.yaml");
            Files.writeString(TENANTS, """
                    tenants:
                      - id: acme
                        apiKeySha256: [%s]
                      - id: globex
                        apiKeySha256: [%s]
                      - id: initech
                        buckets: [other-renders]
                        apiKeySha256: [%s]
                    """.formatted(ApiKeys.sha256Hex(ACME_KEY), ApiKeys.sha256Hex(GLOBEX_KEY),
                    ApiKeys.sha256Hex(INITECH_KEY)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("fluxfleet.gateway.enabled", "true"),
                Map.entry("fluxfleet.tenants.file", TENANTS.toString()),
                Map.entry("fluxfleet.gateway.state.dir", STATE_DIR.toString()),
                Map.entry("fluxfleet.gateway.state.application-id", "test-console"),
                Map.entry("fluxfleet.gateway.limits.requests-per-second", "1000"),
                Map.entry("fluxfleet.gateway.limits.burst", "1000"),
                Map.entry("fluxfleet.heartbeat.interval", "PT0.5S"),
                Map.entry("fluxfleet.console.lost-after", "PT2S"));
    }
}
