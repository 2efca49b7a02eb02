package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.client.GatewayClient;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import java.net.URL;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The application started with the gateway profile, as the gateway Deployment runs it: no model, no
 * job intake, readiness from the job-state topology only.
 */
@QuarkusTest
@TestProfile(GatewayRoleTest.GatewayProfile.class)
class GatewayRoleTest {

    /** QUARKUS_PROFILE=gateway plus the test tenants. */
    public static class GatewayProfile implements QuarkusTestProfile {
        @Override
        public String getConfigProfile() {
            return "gateway";
        }

        @Override
        public Map<String, String> getConfigOverrides() {
            Map<String, String> config = new java.util.HashMap<>(new GatewayTestProfile().getConfigOverrides());
            config.remove("fluxfleet.gateway.enabled"); // the profile itself turns it on
            config.put("fluxfleet.gateway.state.application-id", "test-gateway-role");
            config.put("quarkus.http.test-port", "0");
            // As %test in application.properties: the test JVM's libtorch classes (the stack resource writes a checkpoint).
            config.put("quarkus.class-loading.parent-first-artifacts", "ai.djl:api,ai.djl.pytorch:pytorch-engine,"
                    + "ai.djl.pytorch:pytorch-jni,ai.djl.pytorch:pytorch-native-cpu::linux-x86_64,ai.djl.huggingface:tokenizers");
            return config;
        }
    }

    @TestHTTPResource("/q/health/ready")
    URL ready;

    @TestHTTPResource("/")
    URL base;

    @Inject
    SlotPool slots;

    // Mutations: removing the SlotPool role guard (the gateway loads a model) failed here ("the gateway role loads no
    // model"). Removing %gateway.mp.messaging.incoming.jobs.enabled=false alone does not: an equivalent mutant, since
    // without a ready slot IntakeGate never opens intake (a second guard), so the job still stays queued.
    @Test
    void runsTheApiWithoutModelOrIntake() throws Exception {
        GatewayClient client = new GatewayClient(base.toURI(), GatewayTestProfile.ACME_KEY);
        // Ready once the job-state topology has finished its first rebalance (seconds on a loaded machine).
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(90).toNanos();
        while (client.getPath("/q/health/ready").status() != 200 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertEquals(200, client.getPath("/q/health/ready").status(), String.valueOf(client.getPath("/q/health/ready").body()));
        assertTrue(slots.slots().isEmpty(), "the gateway role loads no model");
        String jobId = "role-" + UUID.randomUUID();
        assertEquals(202, client.submit("{\"jobId\": \"" + jobId + "\", \"prompt\": \"x\", \"width\": 64, \"height\": 64}")
                .status());
        GatewayEndToEndTest.awaitState(client, jobId, "queued");
        Thread.sleep(3000);
        assertEquals("queued", client.get(jobId).body().path("state").asText(), "nobody renders in the gateway role");
    }
}
