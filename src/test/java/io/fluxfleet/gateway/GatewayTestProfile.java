package io.fluxfleet.gateway;

import io.fluxfleet.tenant.ApiKeys;
import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The worker and the gateway role in one test application (on the real broker and S3 server of
 * FleetStackResource): four tenants with known API keys (one limited to model dev and preset none), loopback webhooks allowed, short backoffs.
 */
public class GatewayTestProfile implements QuarkusTestProfile {

    static final String ACME_KEY = "acme-test-key";
    static final String GLOBEX_KEY = "globex-test-key";
    static final String TINY_KEY = "tiny-test-key";
    static final String LIMITED_KEY = "limited-test-key";
    static final String ACME_SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(
            "acme-webhook-secret-32-bytes-abc".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    static final String GLOBEX_SECRET = "globex-plain-secret";

    private static final Path STATE_DIR;
    private static final Path TENANTS;

    static {
        try {
            Path dir = Files.createTempDirectory("fluxfleet-gateway-test");
            STATE_DIR = dir.resolve("state");
            TENANTS = dir.resolve("tenants.yaml");
            Files.writeString(TENANTS, """
                    tenants:
                      - id: acme
                        presign: {enabled: true, expiry: PT15M}
                        webhookSecret: %s
                        apiKeySha256: [%s]
                      - id: globex
                        webhookSecret: %s
                        apiKeySha256: [%s]
                      - id: tiny
                        apiKeySha256: [%s]
                      - id: limited
                        models: [dev]
                        presets: [none]
                        apiKeySha256: [%s]
                    """.formatted(ACME_SECRET, ApiKeys.sha256Hex(ACME_KEY), GLOBEX_SECRET,
                    ApiKeys.sha256Hex(GLOBEX_KEY), ApiKeys.sha256Hex(TINY_KEY), ApiKeys.sha256Hex(LIMITED_KEY)));
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
                Map.entry("fluxfleet.gateway.state.application-id", "test-gateway"),
                Map.entry("fluxfleet.gateway.webhooks.allow-http", "true"),
                Map.entry("fluxfleet.gateway.webhooks.allow-private-addresses", "true"),
                Map.entry("fluxfleet.gateway.webhooks.initial-backoff", "PT0.2S"),
                Map.entry("fluxfleet.gateway.webhooks.max-backoff", "PT1S"),
                Map.entry("fluxfleet.gateway.webhooks.timeout", "PT2S"),
                Map.entry("fluxfleet.gateway.webhooks.max-age", "PT10S"),
                Map.entry("fluxfleet.gateway.sse.heartbeat", "PT0.5S"),
                Map.entry("fluxfleet.gateway.limits.requests-per-second", "1000"),
                Map.entry("fluxfleet.gateway.limits.burst", "1000"),
                Map.entry("fluxfleet.gateway.limits.tenant-overrides.tiny.requests-per-second", "0.1"),
                Map.entry("fluxfleet.gateway.limits.tenant-overrides.tiny.burst", "2"),
                Map.entry("fluxfleet.gateway.limits.tenant-overrides.globex.max-in-flight", "1000000"));
    }
}
