package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.File;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each overlay renders (with {@link Kustomize}) into valid manifests: every object is identified and
 * namespaced, built-in kinds deserialize into the fabric8 Kubernetes model without a single unknown
 * field, custom resources match {@link CustomResourceSchemas}. Where a real {@code kustomize} or
 * {@code kubectl} is on the PATH, its build must equal ours.
 */
class OverlayRenderTest {

    static final String NAMESPACE = "fluxfleet";

    private static final ObjectMapper FABRIC8 = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** apiVersion/kind to the fabric8 class that models it. */
    private static final Map<String, Class<?>> MODELS = Map.of(
            "apps/v1/Deployment", Deployment.class,
            "v1/Service", Service.class,
            "v1/ConfigMap", ConfigMap.class,
            "v1/ServiceAccount", ServiceAccount.class,
            "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
            "v1/Pod", Pod.class,
            "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class,
            "autoscaling/v2/HorizontalPodAutoscaler",
            io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler.class);

    static List<String> overlays() {
        return Rendered.OVERLAYS;
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void everyObjectIsIdentifiedAndInTheNamespace(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        assertFalse(r.resources.isEmpty());
        for (ObjectNode o : r.resources) {
            assertFalse(o.path("apiVersion").asText("").isBlank(), "apiVersion of " + o);
            assertFalse(Yamls.kind(o).isBlank(), "kind of " + o);
            assertTrue(Yamls.name(o).matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") && Yamls.name(o).length() <= 253,
                    "metadata.name of " + Yamls.id(o) + " must be a DNS subdomain");
            assertEquals(NAMESPACE, Yamls.text(o, "metadata", "namespace"), Yamls.id(o));
        }
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void builtInKindsAreValidKubernetesObjects(String overlay) throws Exception {
        Rendered r = Rendered.overlay(overlay);
        int checked = 0;
        for (ObjectNode o : r.resources) {
            if (!Kustomize.builtin(o)) {
                continue;
            }
            String key = o.path("apiVersion").asText() + "/" + Yamls.kind(o);
            Class<?> model = MODELS.get(key);
            assertNotNull(model, overlay + ": no fabric8 model mapped for " + key + " (add it to MODELS)");
            Object parsed = FABRIC8.treeToValue(o, model);
            List<String> unknown = new ArrayList<>();
            unknownFields(parsed, Yamls.id(o), unknown);
            assertEquals(List.of(), unknown, overlay + ": fields Kubernetes does not know (typos?)");
            checked++;
            if (parsed instanceof Deployment d) {
                checkDeployment(overlay, d);
            }
            if (parsed instanceof PodDisruptionBudget pdb) {
                assertTrue(pdb.getSpec().getMaxUnavailable() != null ^ pdb.getSpec().getMinAvailable() != null,
                        "a PDB sets exactly one of maxUnavailable and minAvailable");
            }
        }
        assertTrue(checked >= 5, overlay + ": only " + checked + " built-in objects");
    }

    private static void checkDeployment(String overlay, Deployment d) {
        String id = overlay + " Deployment/" + d.getMetadata().getName();
        Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
        Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertFalse(selector.isEmpty(), id + ": empty selector");
        assertTrue(podLabels.entrySet().containsAll(selector.entrySet()),
                id + ": the selector " + selector + " does not select its own pods " + podLabels);
        List<Container> all = new ArrayList<>(d.getSpec().getTemplate().getSpec().getContainers());
        all.addAll(d.getSpec().getTemplate().getSpec().getInitContainers());
        for (Container c : all) {
            assertNotNull(c.getImage(), id + "/" + c.getName() + ": no image");
            assertTrue(c.getImage().contains("/") || c.getImage().contains(":"),
                    id + "/" + c.getName() + ": image " + c.getImage() + " was not set by the overlay's images");
            if (c.getResources() != null) {
                for (Map<String, Quantity> q : List.of(orEmpty(c.getResources().getRequests()),
                        orEmpty(c.getResources().getLimits()))) {
                    q.forEach((k, v) -> assertTrue(Quantity.getAmountInBytes(v).signum() > 0,
                            id + "/" + c.getName() + ": quantity " + k + "=" + v));
                }
            }
        }
    }

    private static Map<String, Quantity> orEmpty(Map<String, Quantity> m) {
        return m == null ? Map.of() : m;
    }

    /** Every fabric8 object reachable from {@code o} with fields its model did not recognise. */
    static void unknownFields(Object o, String path, List<String> out) throws Exception {
        if (o == null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object item : c) {
                unknownFields(item, path + "[" + i++ + "]", out);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                unknownFields(e.getValue(), path + "[" + e.getKey() + "]", out);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || !m.getName().startsWith("get")
                    || m.getName().equals("getClass")) {
                continue;
            }
            Object value = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    out.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(value, path + "." + m.getName().substring(3), out);
            }
        }
    }

    @org.junit.jupiter.api.Test
    void validationCatchesTyposAndWrongTypes() throws Exception {
        ObjectNode deployment = Yamls.deepCopy(Rendered.overlay("prod").worker());
        ((ObjectNode) Rendered.container(deployment, Rendered.WORKER_CONTAINER)).set("readinesProbe",
                Yamls.JSON.createObjectNode());
        List<String> unknown = new ArrayList<>();
        unknownFields(FABRIC8.treeToValue(deployment, Deployment.class), "d", unknown);
        assertEquals(1, unknown.size(), unknown.toString());
        assertTrue(unknown.get(0).contains("readinesProbe"), unknown.toString());

        ObjectNode scaled = Yamls.deepCopy(Rendered.overlay("prod").require("ScaledObject", Rendered.WORKER));
        ((ObjectNode) scaled.path("spec").path("triggers").get(0).path("metadata")).put("lagThreshold", 1);
        ((ObjectNode) scaled.path("spec")).put("maxReplicas", 3);
        List<String> problems = CustomResourceSchemas.check(scaled);
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.toString().contains("metadata: expected map<string>"), problems.toString());
        assertTrue(problems.toString().contains("/spec/maxReplicas: unknown field"), problems.toString());
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void customResourcesMatchTheirShapes(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        List<String> problems = new ArrayList<>();
        for (ObjectNode o : r.resources) {
            if (!Kustomize.builtin(o)) {
                assertTrue(CustomResourceSchemas.known(o), overlay + ": no shape for " + Yamls.id(o)
                        + " " + o.path("apiVersion").asText() + " (add one to CustomResourceSchemas)");
                problems.addAll(CustomResourceSchemas.check(o));
            }
        }
        assertEquals(List.of(), problems, overlay);
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void promQlExpressionsAreBalanced(String overlay) {
        Rendered r = Rendered.overlay(overlay);
        r.ofKind("PrometheusRule").forEach(rule -> {
            for (JsonNode group : rule.path("spec").path("groups")) {
                for (JsonNode alert : group.path("rules")) {
                    String expr = alert.path("expr").asText();
                    assertTrue(balanced(expr), alert.path("alert").asText() + ": unbalanced brackets or quotes: " + expr);
                    if (alert.has("for")) {
                        assertTrue(alert.path("for").asText().matches("(\\d+(ms|s|m|h|d|w|y))+"),
                                alert.path("alert").asText() + ": 'for' is not a Prometheus duration");
                    }
                    assertTrue(alert.path("labels").has("severity"), alert.path("alert").asText() + ": no severity");
                    assertTrue(alert.path("annotations").has("summary"), alert.path("alert").asText() + ": no summary");
                }
            }
        });
    }

    static boolean balanced(String expr) {
        StringBuilder stack = new StringBuilder();
        boolean quoted = false;
        for (char c : expr.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && "([{".indexOf(c) >= 0) {
                stack.append(c);
            } else if (!quoted && ")]}".indexOf(c) >= 0) {
                if (stack.isEmpty() || "([{".indexOf(stack.charAt(stack.length() - 1)) != ")]}".indexOf(c)) {
                    return false;
                }
                stack.setLength(stack.length() - 1);
            }
        }
        return !quoted && stack.isEmpty();
    }

    /**
     * With a real kustomize at hand, its output must equal this renderer's (objects compared as
     * trees; lists of named items compared regardless of order). Skipped, with a log line, when
     * neither {@code kustomize} nor {@code kubectl} is on the PATH; the rest of this class still
     * validates the renders.
     */
    @ParameterizedTest
    @MethodSource("overlays")
    void matchesRealKustomizeWhenAvailable(String overlay) throws Exception {
        Optional<List<String>> command = realKustomize(Rendered.overlayDir(overlay));
        if (command.isEmpty()) {
            System.out.println("[OverlayRenderTest] no kustomize or kubectl on the PATH: comparison with the real "
                    + "kustomize skipped for overlay " + overlay + " (the render itself is validated by the other tests)");
            return;
        }
        Process p = new ProcessBuilder(command.get()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), command.get() + " failed: " + err);
        Map<String, JsonNode> real = new TreeMap<>();
        for (JsonNode doc : Yamls.readAll(new String(out, StandardCharsets.UTF_8))) {
            real.put(Kustomize.resId(doc), normalise(doc));
        }
        Map<String, JsonNode> ours = new TreeMap<>();
        Rendered.overlay(overlay).resources.forEach(o -> ours.put(Kustomize.resId(o), normalise(o)));
        assertEquals(real.keySet(), ours.keySet(), overlay + ": different objects");
        for (String id : real.keySet()) {
            assertEquals(real.get(id), ours.get(id), overlay + ": " + id + " differs from " + command.get());
        }
        System.out.println("[OverlayRenderTest] overlay " + overlay + ": " + real.size() + " objects, identical to "
                + String.join(" ", command.get()));
    }

    private static Optional<List<String>> realKustomize(Path dir) {
        for (String dirOnPath : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dirOnPath.isEmpty()) {
                continue;
            }
            if (Files.isExecutable(Path.of(dirOnPath, "kustomize"))) {
                return Optional.of(List.of(Path.of(dirOnPath, "kustomize").toString(), "build", dir.toString()));
            }
            if (Files.isExecutable(Path.of(dirOnPath, "kubectl"))) {
                return Optional.of(List.of(Path.of(dirOnPath, "kubectl").toString(), "kustomize", dir.toString()));
            }
        }
        return Optional.empty();
    }

    /** A copy with lists of named items sorted by name, and numbers and strings kept as they are. */
    static JsonNode normalise(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = Yamls.JSON.createObjectNode();
            new TreeMap<>(toMap(node)).forEach((k, v) -> copy.set(k, normalise(v)));
            return copy;
        }
        if (node.isArray()) {
            List<JsonNode> items = new ArrayList<>();
            node.forEach(n -> items.add(normalise(n)));
            if (items.stream().allMatch(n -> n.isObject() && n.has("name"))) {
                items.sort((a, b) -> a.get("name").asText().compareTo(b.get("name").asText()));
            }
            ArrayNode copy = Yamls.JSON.createArrayNode();
            items.forEach(copy::add);
            return copy;
        }
        return node;
    }

    private static Map<String, JsonNode> toMap(JsonNode node) {
        Map<String, JsonNode> m = new TreeMap<>();
        node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    @ParameterizedTest
    @MethodSource("overlays")
    void theOverlayOnlyUsesKindsItsDocumentationNames(String overlay) {
        // A reminder that a new kind needs its operator documented (docs/operator-guide.md, "Install").
        Rendered r = Rendered.overlay(overlay);
        List<String> kinds = r.resources.stream().map(Yamls::kind).distinct().sorted().toList();
        // HorizontalPodAutoscaler: the gateway component's, built into Kubernetes (needs metrics-server).
        List<String> known = List.of("ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Kafka", "KafkaNodePool",
                "KafkaTopic", "KafkaUser",
                "PersistentVolumeClaim", "PodDisruptionBudget", "PrometheusRule", "ScaledObject", "Service",
                "ServiceAccount", "ServiceMonitor", "TriggerAuthentication");
        for (String kind : kinds) {
            if (!known.contains(kind)) {
                fail(overlay + ": new kind " + kind + ": document its prerequisites and add it here");
            }
        }
    }
}
