package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.console.ConsoleConfig;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every overlay's gateway gets the console's operator keys from a Secret (optional, never a literal), under
 * the variable that sets {@link ConsoleConfig#operatorKeySha256()}. Mutation check: without the env entry in
 * k8s/components/gateway/deployment.yaml this failed for each overlay ("has no env").
 */
class ConsoleOperatorKeyTest {

    static List<String> overlaysWithGateway() {
        return Rendered.OVERLAYS.stream().filter(o -> Rendered.overlay(o).ofKind("Deployment")
                .anyMatch(d -> d.path("metadata").path("name").asText().equals(GatewayTopicsTest.GATEWAY))).toList();
    }

    @ParameterizedTest
    @MethodSource("overlaysWithGateway")
    void theOperatorKeysComeFromAnOptionalSecret(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        JsonNode container = Rendered.container(r.require("Deployment", GatewayTopicsTest.GATEWAY),
                GatewayTopicsTest.GATEWAY_CONTAINER);
        String variable = WorkerConfig.envName("fluxfleet.console.operator-key-sha256");
        JsonNode entry = GatewayKafkaAccessTest.envEntry(container, variable);
        assertTrue(entry.path("value").isMissingNode(), overlay + ": a literal operator key hash in the manifest");
        JsonNode ref = entry.path("valueFrom").path("secretKeyRef");
        assertEquals("fluxfleet-console", ref.path("name").asText(), overlay + ": " + entry);
        assertTrue(ref.path("optional").asBoolean(false), overlay + ": without the Secret the gateway must still start");
    }
}
