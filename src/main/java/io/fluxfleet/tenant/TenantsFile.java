package io.fluxfleet.tenant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobValidator;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The tenants file's syntax (docs/security.md). Every field but {@code id} is optional and an
 * unknown field is an error, so a typo cannot silently widen what a tenant may do.
 */
final class TenantsFile {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> TOP = Set.of("tenants");
    private static final Set<String> TENANT = Set.of("id", "buckets", "keyPrefixes", "defaultKeyPrefix", "models",
            "presets", "limits", "presign", "webhookSecret", "apiKeySha256");
    private static final Set<String> LIMITS = Set.of("maxPixels", "maxSteps", "maxRequestBytes");
    private static final Set<String> PRESIGN = Set.of("enabled", "expiry");

    private TenantsFile() {
    }

    static List<Tenant> parse(String text, JobValidator.Limits fleet) {
        JsonNode root;
        try {
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid YAML or JSON: " + e.getOriginalMessage());
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return List.of();
        }
        object(root, "the tenants file", TOP);
        JsonNode list = root.get("tenants");
        if (list == null || list.isNull()) {
            return List.of();
        }
        if (!list.isArray()) {
            throw new IllegalArgumentException("tenants must be a list");
        }
        List<Tenant> tenants = new ArrayList<>();
        for (JsonNode node : list) {
            tenants.add(tenant(node, fleet));
        }
        return tenants;
    }

    private static Tenant tenant(JsonNode node, JobValidator.Limits fleet) {
        object(node, "a tenant", TENANT);
        JsonNode idNode = node.get("id");
        if (idNode == null || !idNode.isTextual()) {
            throw new IllegalArgumentException("every tenant needs an id (a string)");
        }
        String id = idNode.textValue();
        Tenant defaults = Tenant.withDefaults(id, fleet);
        String where = "tenant " + id + ": ";

        Set<String> keyPrefixes = strings(node, "keyPrefixes", where).orElse(null);
        String defaultKeyPrefix = text(node, "defaultKeyPrefix", where).orElse(null);
        if (keyPrefixes == null) {
            keyPrefixes = defaultKeyPrefix == null ? defaults.keyPrefixes() : Set.of(defaultKeyPrefix);
        }
        if (defaultKeyPrefix == null) {
            defaultKeyPrefix = keyPrefixes.size() == 1 ? keyPrefixes.iterator().next() : defaults.defaultKeyPrefix();
        }

        Tenant.Limits limits = defaults.limits();
        JsonNode limitsNode = node.get("limits");
        if (limitsNode != null && !limitsNode.isNull()) {
            object(limitsNode, where + "limits", LIMITS);
            limits = new Tenant.Limits(
                    number(limitsNode, "maxPixels", where, limits.maxPixels()),
                    (int) number(limitsNode, "maxSteps", where, limits.maxSteps()),
                    (int) number(limitsNode, "maxRequestBytes", where, limits.maxRequestBytes()));
        }

        Tenant.Presign presign = Tenant.Presign.OFF;
        JsonNode presignNode = node.get("presign");
        if (presignNode != null && !presignNode.isNull()) {
            object(presignNode, where + "presign", PRESIGN);
            JsonNode enabled = presignNode.get("enabled");
            if (enabled != null && !enabled.isBoolean()) {
                throw new IllegalArgumentException(where + "presign.enabled must be true or false");
            }
            boolean on = enabled == null || enabled.booleanValue();
            Duration expiry = text(presignNode, "expiry", where + "presign.").map(s -> duration(s, where)).orElse(Duration.ofHours(1));
            presign = on ? new Tenant.Presign(true, expiry) : Tenant.Presign.OFF;
        }

        return new Tenant(id,
                strings(node, "buckets", where).orElse(Set.of()),
                keyPrefixes,
                defaultKeyPrefix,
                models(node, where),
                enums(node, "presets", where, Acceleration.class, w -> Acceleration.parse(w).orElse(null)),
                limits,
                presign,
                text(node, "webhookSecret", where).map(Secret::new),
                strings(node, "apiKeySha256", where).orElse(Set.of()));
    }

    private static void object(JsonNode node, String what, Set<String> known) {
        if (!node.isObject()) {
            throw new IllegalArgumentException(what + " must be a mapping");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                throw new IllegalArgumentException(what + ": unknown field '" + name + "'; known fields are "
                        + known.stream().sorted().toList());
            }
        }
    }

    private static Optional<String> text(JsonNode node, String name, String where) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException(where + name + " must be a string");
        }
        return Optional.of(value.textValue());
    }

    private static Optional<Set<String>> strings(JsonNode node, String name, String where) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return Optional.empty();
        }
        if (!value.isArray()) {
            throw new IllegalArgumentException(where + name + " must be a list of strings");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw new IllegalArgumentException(where + name + " must be a list of strings");
            }
            out.add(item.textValue());
        }
        return Optional.of(out);
    }

    /**
     * Model names; absent: every model of the fleet. The fleet's catalog is not read here: a name no pool
     * serves is refused per job (UNKNOWN_MODEL) like any other.
     */
    private static Set<String> models(JsonNode node, String where) {
        Optional<Set<String>> names = strings(node, "models", where);
        if (names.isPresent() && names.get().isEmpty()) {
            throw new IllegalArgumentException(where + "models: name at least one model, or leave models out for every"
                    + " model of the fleet");
        }
        return names.orElse(Set.of());
    }

    private static <E extends Enum<E>> Set<E> enums(JsonNode node, String name, String where, Class<E> type,
                                                    Function<String, E> parse) {
        Optional<Set<String>> names = strings(node, name, where);
        if (names.isEmpty()) {
            return EnumSet.allOf(type);
        }
        Set<E> out = EnumSet.noneOf(type);
        for (String wire : names.get()) {
            E value = parse.apply(wire);
            if (value == null) {
                throw new IllegalArgumentException(where + name + ": unknown value '" + wire + "'");
            }
            out.add(value);
        }
        return out;
    }

    private static long number(JsonNode node, String name, String where, long defaultValue) {
        JsonNode value = node.get(name);
        if (value == null || value.isNull()) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt() && !name.equals("maxPixels")) {
            throw new IllegalArgumentException(where + "limits." + name + " must be an integer");
        }
        return value.longValue();
    }

    private static Duration duration(String text, String where) {
        try {
            return Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(where + "presign.expiry '" + text + "' is not an ISO-8601 duration such as PT15M");
        }
    }
}
