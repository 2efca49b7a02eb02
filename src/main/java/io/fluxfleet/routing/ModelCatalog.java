package io.fluxfleet.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fluxfleet.job.Model;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The fleet's models, one worker pool each, from one catalog file (YAML or JSON):
 * <pre>
 * models:
 *   dev:     {dir: /models/FLUX.1-dev,     topic: fluxfleet.jobs.dev}
 *   schnell: {dir: /models/FLUX.1-schnell}          # topic defaults to fluxfleet.jobs.schnell
 * </pre>
 * A name is the job's {@code model} (the contract's dev or schnell); its directory may hold any FLUX.1
 * checkpoint of that kind, in either layout. No catalog: one pool on the fleet's jobs topic.
 */
public final class ModelCatalog {

    /** One catalog model: the pool that serves it renders from {@code dir} and consumes the lanes of {@code topic}. */
    public record Entry(Model model, Optional<Path> dir, String topic) {
    }

    public static final ModelCatalog NONE = new ModelCatalog(Map.of());
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> ENTRY_FIELDS = Set.of("dir", "topic");

    private final Map<Model, Entry> entries;

    private ModelCatalog(Map<Model, Entry> entries) {
        this.entries = Map.copyOf(entries);
    }

    public static ModelCatalog load(Path file, String topicPrefix) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), topicPrefix);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model catalog " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a catalog; a model without a topic gets {@code <topicPrefix>.<name>}. */
    public static ModelCatalog parse(String yamlOrJson, String topicPrefix) {
        JsonNode root;
        try {
            root = YAML.readTree(yamlOrJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("not valid YAML or JSON: " + e.getMessage());
        }
        JsonNode models = root == null ? null : root.get("models");
        if (models == null || !models.isObject() || models.isEmpty()) {
            throw new IllegalArgumentException("expected 'models:' with one entry per model (dev, schnell)");
        }
        Map<Model, Entry> entries = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = models.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            Model model = Model.parse(field.getKey()).orElseThrow(() -> new IllegalArgumentException("model '"
                    + field.getKey() + "' is not a model of the job contract; expected one of "
                    + Arrays.stream(Model.values()).map(Model::wireName).toList()));
            entries.put(model, entry(model, field.getValue(), topicPrefix));
        }
        return new ModelCatalog(entries);
    }

    private static Entry entry(Model model, JsonNode node, String topicPrefix) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("model " + model.wireName() + ": expected {dir: ..., topic: ...}");
        }
        node.fieldNames().forEachRemaining(name -> {
            if (!ENTRY_FIELDS.contains(name)) {
                throw new IllegalArgumentException("model " + model.wireName() + ": unknown field '" + name
                        + "' (expected " + ENTRY_FIELDS + ")");
            }
        });
        Optional<Path> dir = Optional.ofNullable(node.get("dir")).map(JsonNode::asText).map(Path::of);
        String topic = Optional.ofNullable(node.get("topic")).map(JsonNode::asText)
                .orElse(topicPrefix + "." + model.wireName());
        if (!topic.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("model " + model.wireName() + ": '" + topic + "' is not a Kafka topic name");
        }
        return new Entry(model, dir, topic);
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public Optional<Entry> entry(Model model) {
        return Optional.ofNullable(entries.get(model));
    }

    public Collection<Entry> entries() {
        return entries.values();
    }
}
