package io.fluxfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Hand-written shapes of the custom resources the manifests use (KEDA, Strimzi, Prometheus Operator),
 * for the fields this project uses: no CRD schemas are available offline and no Java model of them
 * is on Maven Central in a version that resolves here. A shape is YAML: a mapping lists the allowed
 * fields (a name ending in {@code !} is required; anything else is an unknown field, usually a typo),
 * a one-item list is a list of that shape, and the scalars are {@code string}, {@code int},
 * {@code bool}, {@code any}, {@code map<string>} (an object of strings: KEDA trigger metadata, labels)
 * and {@code map<scalar>}. Field names come from the projects' API references.
 */
final class CustomResourceSchemas {

    private CustomResourceSchemas() {
    }

    static final String SHAPES = """
            metadata:
              name!: string
              namespace: string
              labels: map<string>
              annotations: map<string>
            keda.sh/v1alpha1/ScaledObject:
              spec!:
                scaleTargetRef!: {apiVersion: string, kind: string, name!: string, envSourceContainerName: string}
                pollingInterval: int
                cooldownPeriod: int
                initialCooldownPeriod: int
                idleReplicaCount: int
                minReplicaCount: int
                maxReplicaCount: int
                fallback: {failureThreshold!: int, replicas!: int, behavior: string}
                advanced:
                  restoreToOriginalReplicaCount: bool
                  scalingModifiers: any
                  horizontalPodAutoscalerConfig:
                    name: string
                    behavior:
                      scaleUp:
                        stabilizationWindowSeconds: int
                        selectPolicy: string
                        tolerance: any
                        policies: [{type!: string, value!: int, periodSeconds!: int}]
                      scaleDown:
                        stabilizationWindowSeconds: int
                        selectPolicy: string
                        tolerance: any
                        policies: [{type!: string, value!: int, periodSeconds!: int}]
                triggers!:
                  - type!: string
                    name: string
                    metadata!: map<string>
                    authenticationRef: {name!: string, kind: string}
                    metricType: string
                    useCachedMetrics: bool
            keda.sh/v1alpha1/TriggerAuthentication:
              spec!:
                secretTargetRef: [{parameter!: string, name!: string, key!: string}]
                configMapTargetRef: [{parameter!: string, name!: string, key!: string}]
                env: [{parameter!: string, name!: string, containerName: string}]
                podIdentity: any
            kafka.strimzi.io/v1beta2/KafkaTopic:
              spec!:
                topicName: string
                partitions!: int
                replicas!: int
                config: map<scalar>
            kafka.strimzi.io/v1beta2/KafkaUser:
              spec!:
                authentication!: {type!: string, password: any}
                authorization:
                  type!: string
                  acls:
                    - resource!: {type!: string, name: string, patternType: string}
                      operations!: [string]
                      host: string
                      type: string
                quotas: any
                template: any
            kafka.strimzi.io/v1beta2/KafkaNodePool:
              spec!:
                replicas!: int
                roles!: [string]
                storage!: any
                resources: any
                jvmOptions: any
                template: any
            kafka.strimzi.io/v1beta2/Kafka:
              spec!:
                kafka!:
                  version: string
                  metadataVersion: string
                  replicas: int
                  listeners!:
                    - name!: string
                      port!: int
                      type!: string
                      tls!: bool
                      authentication: any
                      configuration: any
                  config: map<scalar>
                  authorization: any
                  storage: any
                  resources: any
                  template: any
                entityOperator: {topicOperator: any, userOperator: any, template: any}
                kafkaExporter: {groupRegex: string, topicRegex: string, groupExcludeRegex: string,
                                topicExcludeRegex: string, resources: any, template: any}
                cruiseControl: any
            monitoring.coreos.com/v1/ServiceMonitor:
              spec!:
                selector!: {matchLabels: map<string>, matchExpressions: any}
                namespaceSelector: any
                jobLabel: string
                targetLabels: [string]
                podTargetLabels: [string]
                endpoints!:
                  - port: string
                    targetPort: any
                    path: string
                    scheme: string
                    interval: string
                    scrapeTimeout: string
                    honorLabels: bool
                    relabelings: any
                    metricRelabelings: any
            monitoring.coreos.com/v1/PrometheusRule:
              spec!:
                groups!:
                  - name!: string
                    interval: string
                    rules!:
                      - alert: string
                        record: string
                        expr!: string
                        for: string
                        keep_firing_for: string
                        labels: map<string>
                        annotations: map<string>
            """;

    private static final JsonNode ROOT = parse();

    private static JsonNode parse() {
        try {
            return Yamls.readAll(SHAPES).get(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when a shape exists for the resource's apiVersion and kind. */
    static boolean known(JsonNode resource) {
        return ROOT.has(key(resource));
    }

    private static String key(JsonNode resource) {
        return resource.path("apiVersion").asText() + "/" + Yamls.kind(resource);
    }

    /** Problems of the resource against its shape; empty when it conforms. */
    static List<String> check(JsonNode resource) {
        List<String> problems = new ArrayList<>();
        JsonNode shape = ROOT.get(key(resource));
        if (shape == null) {
            problems.add(Yamls.id(resource) + ": no shape for " + key(resource));
            return problems;
        }
        check(resource.path("metadata"), ROOT.get("metadata"), "/metadata", problems);
        check(resource, shape, "", problems);
        return problems.stream().map(p -> Yamls.id(resource) + ": " + p).toList();
    }

    private static void check(JsonNode value, JsonNode shape, String path, List<String> problems) {
        if (shape.isTextual()) {
            String type = shape.asText();
            boolean ok = switch (type) {
                case "string" -> value.isTextual();
                case "int" -> value.isIntegralNumber();
                case "bool" -> value.isBoolean();
                case "any" -> true;
                case "map<string>" -> value.isObject() && allValues(value, JsonNode::isTextual);
                case "map<scalar>" -> value.isObject() && allValues(value, JsonNode::isValueNode);
                default -> throw new IllegalStateException("unknown type " + type);
            };
            if (!ok) {
                problems.add(path + ": expected " + type + ", found " + value);
            }
            return;
        }
        if (shape.isArray()) {
            if (!value.isArray()) {
                problems.add(path + ": expected a list, found " + value);
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                check(value.get(i), shape.get(0), path + "[" + i + "]", problems);
            }
            return;
        }
        if (!value.isObject()) {
            problems.add(path + ": expected a mapping, found " + value);
            return;
        }
        for (Iterator<String> it = shape.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (field.endsWith("!") && !value.has(field.substring(0, field.length() - 1))) {
                problems.add(path + "/" + field.substring(0, field.length() - 1) + ": required");
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (path.isEmpty() && (e.getKey().equals("apiVersion") || e.getKey().equals("kind")
                    || e.getKey().equals("metadata"))) {
                continue;
            }
            JsonNode fieldShape = shape.has(e.getKey()) ? shape.get(e.getKey()) : shape.get(e.getKey() + "!");
            if (fieldShape == null) {
                problems.add(path + "/" + e.getKey() + ": unknown field");
            } else {
                check(e.getValue(), fieldShape, path + "/" + e.getKey(), problems);
            }
        }
    }

    private static boolean allValues(JsonNode object, java.util.function.Predicate<JsonNode> test) {
        for (JsonNode v : object) {
            if (!test.test(v)) {
                return false;
            }
        }
        return true;
    }
}
