package io.fluxfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/** An overlay rendered by {@link Kustomize}, with lookups by kind and name. */
final class Rendered {

    /** The overlays under k8s/overlays, by name. */
    static final List<String> OVERLAYS = List.of("dev", "prod", "two-pools");
    /** The worker's Deployment and container, and the incoming channel of the jobs topic. */
    static final String WORKER = "fluxfleet-worker";
    static final String WORKER_CONTAINER = "worker";
    static final String JOBS_CHANNEL = "jobs";

    final String overlay;
    final List<ObjectNode> resources;

    private Rendered(String overlay, List<ObjectNode> resources) {
        this.overlay = overlay;
        this.resources = resources;
    }

    static Path overlayDir(String overlay) {
        return Yamls.root().resolve("k8s/overlays").resolve(overlay);
    }

    static Rendered overlay(String overlay) {
        return new Rendered(overlay, Kustomize.build(overlayDir(overlay)));
    }

    Stream<ObjectNode> ofKind(String kind) {
        return resources.stream().filter(r -> Yamls.kind(r).equals(kind));
    }

    Optional<ObjectNode> find(String kind, String name) {
        return ofKind(kind).filter(r -> Yamls.name(r).equals(name)).findFirst();
    }

    ObjectNode require(String kind, String name) {
        return find(kind, name).orElseThrow(() -> new AssertionError(overlay + ": no " + kind + " named " + name
                + " (has " + resources.stream().map(Yamls::id).toList() + ")"));
    }

    ObjectNode worker() {
        return require("Deployment", WORKER);
    }

    WorkerConfig workerConfig() {
        return WorkerConfig.of(this, worker(), WORKER_CONTAINER);
    }

    /** The KafkaTopic whose Kafka topic name (spec.topicName, else metadata.name) is {@code topic}. */
    Optional<ObjectNode> kafkaTopic(String topic) {
        return ofKind("KafkaTopic").filter(t -> topicName(t).equals(topic)).findFirst();
    }

    static String topicName(JsonNode kafkaTopic) {
        return Optional.ofNullable(Yamls.text(kafkaTopic, "spec", "topicName")).orElse(Yamls.name(kafkaTopic));
    }

    /** The pod spec of a workload (Deployment, StatefulSet, Job: spec.template.spec; Pod: spec). */
    static JsonNode podSpec(JsonNode workload) {
        return Yamls.kind(workload).equals("Pod") ? workload.path("spec")
                : workload.path("spec").path("template").path("spec");
    }

    static JsonNode container(JsonNode workload, String name) {
        for (JsonNode c : podSpec(workload).path("containers")) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError(Yamls.id(workload) + " has no container " + name);
    }

    /** Containers and init containers of every workload in the render, with their workload. */
    List<Map.Entry<JsonNode, JsonNode>> allContainers() {
        List<Map.Entry<JsonNode, JsonNode>> out = new ArrayList<>();
        resources.stream().filter(Rendered::isWorkload).forEach(w -> {
            for (String field : List.of("initContainers", "containers")) {
                podSpec(w).path(field).forEach(c -> out.add(Map.entry(w, c)));
            }
        });
        return out;
    }

    static boolean isWorkload(JsonNode r) {
        return List.of("Deployment", "StatefulSet", "DaemonSet", "Job", "Pod").contains(Yamls.kind(r));
    }
}
