package io.fluxfleet.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fluxfleet.job.KnownModels;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The fleet's models, one worker pool each, from one catalog file (YAML or JSON):
 * <pre>
 * models:
 *   dev:     {dir: /models/FLUX.1-dev, topic: fluxfleet.jobs.dev}
 *   schnell: {dir: /models/FLUX.1-schnell}          # topic defaults to fluxfleet.jobs.schnell
 *   dev-anime:                                      # a fine-tuned FLUX.1-dev checkpoint
 *     kind: dev
 *     dir: /models/anime
 *     defaults: {steps: 28, guidance: 3.5}
 * </pre>
 * A name is what a job's {@code model} says. Its {@code kind} (dev or schnell) is the FLUX.1 variant
 * the checkpoint is; it may be left out only for the names dev and schnell. The directory holds the
 * checkpoint in either layout; the defaults fill the steps and guidance a job leaves out.
 * No catalog: one pool on the fleet's jobs topic, serving dev or schnell.
 */
public final class ModelCatalog {

    /** One catalog model: the pool that serves it renders from {@code dir} and consumes the lanes of {@code topic}. */
    public record Entry(ModelDefinition model, Optional<Path> dir, String topic) {

        public String name() {
            return model.name();
        }
    }

    public static final ModelCatalog NONE = new ModelCatalog(Map.of());
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> ENTRY_FIELDS = Set.of("kind", "dir", "topic", "defaults");
    private static final Set<String> DEFAULTS_FIELDS = Set.of("steps", "guidance");

    private final Map<String, Entry> entries;

    private ModelCatalog(Map<String, Entry> entries) {
        this.entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
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
            throw new IllegalArgumentException("expected 'models:' with one entry per model (dev, schnell, or a name"
                    + " with a kind)");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> topicOwners = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = models.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            if (!KnownModels.isValidName(name)) {
                throw new IllegalArgumentException("model '" + name + "': a name must be " + KnownModels.NAME_RULE);
            }
            Entry entry = entry(name, field.getValue(), topicPrefix);
            String other = topicOwners.putIfAbsent(entry.topic(), name);
            if (other != null) {
                throw new IllegalArgumentException("model " + name + ": topic " + entry.topic() + " is already model "
                        + other + "'s; each model needs its own pool topic");
            }
            entries.put(name, entry);
        }
        return new ModelCatalog(entries);
    }

    private static Entry entry(String name, JsonNode node, String topicPrefix) {
        if (!node.isObject()) {
            throw new IllegalArgumentException("model " + name + ": expected {kind: ..., dir: ..., topic: ..., defaults: ...}");
        }
        checkFields(node, ENTRY_FIELDS, "model " + name);
        ModelKind kind = kind(name, node.get("kind"));
        Optional<Path> dir = text(node, "dir", name).map(Path::of);
        String topic = text(node, "topic", name).orElse(topicPrefix + "." + name);
        if (!topic.matches("[A-Za-z0-9._-]{1,200}")) {
            throw new IllegalArgumentException("model " + name + ": '" + topic + "' is not a Kafka topic name");
        }
        try {
            return new Entry(new ModelDefinition(name, kind, defaults(name, node.get("defaults"))), dir, topic);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().startsWith("model " + name) ? e.getMessage()
                    : "model " + name + ": " + e.getMessage(), e);
        }
    }

    /** The kind as written, else the name's own for dev and schnell. */
    private static ModelKind kind(String name, JsonNode node) {
        String expected = Arrays.stream(ModelKind.values()).map(ModelKind::wireName).toList().toString();
        if (node == null || node.isNull()) {
            return ModelKind.parse(name).orElseThrow(() -> new IllegalArgumentException("model " + name
                    + ": kind is required (which FLUX.1 variant the checkpoint is: one of " + expected + ")"));
        }
        ModelKind kind = node.isTextual() ? ModelKind.parse(node.textValue()).orElse(null) : null;
        if (kind == null) {
            throw new IllegalArgumentException("model " + name + ": kind '" + node.asText() + "' is not one of " + expected);
        }
        return kind;
    }

    private static ModelDefinition.Defaults defaults(String name, JsonNode node) {
        if (node == null || node.isNull()) {
            return ModelDefinition.Defaults.NONE;
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException("model " + name + ": defaults must be a mapping {steps: ..., guidance: ...}");
        }
        checkFields(node, DEFAULTS_FIELDS, "model " + name + ": defaults");
        JsonNode steps = node.get("steps");
        if (steps != null && !steps.isNull() && !(steps.isIntegralNumber() && steps.canConvertToInt())) {
            throw new IllegalArgumentException("model " + name + ": defaults.steps must be an integer, got " + steps);
        }
        JsonNode guidance = node.get("guidance");
        if (guidance != null && !guidance.isNull() && !guidance.isNumber()) {
            throw new IllegalArgumentException("model " + name + ": defaults.guidance must be a number, got " + guidance);
        }
        return new ModelDefinition.Defaults(steps == null || steps.isNull() ? null : steps.intValue(),
                guidance == null || guidance.isNull() ? null : guidance.doubleValue());
    }

    private static void checkFields(JsonNode node, Set<String> known, String where) {
        node.fieldNames().forEachRemaining(field -> {
            if (!known.contains(field)) {
                throw new IllegalArgumentException(where + ": unknown field '" + field + "' (expected "
                        + known.stream().sorted().toList() + ")");
            }
        });
    }

    private static Optional<String> text(JsonNode node, String field, String name) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("model " + name + ": " + field + " must be a string");
        }
        return Optional.of(value.textValue());
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    public Optional<Entry> entry(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** The entry whose pool consumes this topic's lanes. */
    public Optional<Entry> entryForTopic(String topic) {
        return entries.values().stream().filter(e -> e.topic().equals(topic)).findFirst();
    }

    /**
     * The model the pool of {@code poolTopic} serves, given the kind of the checkpoint it opened: the
     * catalog entry of that topic, or (no entry, no catalog) dev or schnell as the checkpoint is.
     * Throws IllegalArgumentException when the entry says another kind than the checkpoint is.
     */
    public ModelDefinition modelOfPool(String poolTopic, ModelKind checkpointKind) {
        ModelDefinition model = entryForTopic(poolTopic).map(Entry::model).orElse(ModelDefinition.builtIn(checkpointKind));
        if (model.kind() != checkpointKind) {
            throw new IllegalArgumentException("the model catalog says model " + model.name() + " is of kind "
                    + model.kind().wireName() + " but its checkpoint is FLUX.1-" + checkpointKind.wireName());
        }
        return model;
    }

    public Collection<Entry> entries() {
        return entries.values();
    }

    /** The models jobs may name in this fleet: the catalog's; dev and schnell without a catalog. */
    public KnownModels models() {
        return isEmpty() ? KnownModels.BUILT_IN : KnownModels.of(entries.values().stream().map(Entry::model).toList());
    }
}
