package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JSON Schema 2020-12 validator for exactly the keywords docs/schemas uses, so that tests can
 * check real JSON against the published schemas without a dependency. An unsupported keyword fails
 * loudly rather than being ignored, so the schemas cannot quietly outgrow what is checked.
 */
final class MiniJsonSchema {

    static final Path SCHEMA_DIR = Path.of("docs", "schemas");
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Set<String> ANNOTATIONS = Set.of("$schema", "$id", "$defs", "title", "description", "default", "$comment");
    private static final Set<String> ASSERTIONS = Set.of("$ref", "type", "enum", "const", "properties", "required",
            "additionalProperties", "items", "minimum", "maximum", "multipleOf", "minLength", "maxLength", "pattern",
            "format", "maxProperties", "maxItems", "propertyNames", "anyOf");

    final JsonNode root;

    private MiniJsonSchema(JsonNode root) {
        this.root = root;
    }

    static MiniJsonSchema load(String fileName) {
        try {
            return new MiniJsonSchema(JSON.readTree(Files.readAllBytes(SCHEMA_DIR.resolve(fileName))));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read schema " + fileName, e);
        }
    }

    /** Problems found, empty when the instance is valid. */
    List<String> validate(JsonNode instance) {
        List<String> problems = new ArrayList<>();
        validate(root, instance, "$", problems);
        return problems;
    }

    /** Follows a local "#/$defs/Name" reference. */
    JsonNode resolve(JsonNode schema) {
        while (schema.has("$ref")) {
            String ref = schema.get("$ref").textValue();
            if (!ref.startsWith("#/$defs/")) {
                throw new IllegalStateException("only local $defs references are supported: " + ref);
            }
            JsonNode target = root.get("$defs").get(ref.substring("#/$defs/".length()));
            if (target == null) {
                throw new IllegalStateException("dangling $ref " + ref);
            }
            schema = target;
        }
        return schema;
    }

    private void validate(JsonNode schema, JsonNode value, String path, List<String> problems) {
        for (Iterator<String> it = schema.fieldNames(); it.hasNext(); ) {
            String keyword = it.next();
            if (!ANNOTATIONS.contains(keyword) && !ASSERTIONS.contains(keyword)) {
                throw new IllegalStateException("unsupported schema keyword '" + keyword + "' at " + path);
            }
        }
        if (schema.has("$ref")) {
            validate(resolve(schema), value, path, problems);
        }
        if (schema.has("anyOf")) {
            boolean any = false;
            for (JsonNode option : schema.get("anyOf")) {
                List<String> optionProblems = new ArrayList<>();
                validate(option, value, path, optionProblems);
                any |= optionProblems.isEmpty();
            }
            if (!any) {
                problems.add(path + ": matches no anyOf option");
            }
        }
        if (schema.has("type") && !typeMatches(schema.get("type"), value)) {
            problems.add(path + ": expected type " + schema.get("type") + ", got " + value.getNodeType());
            return;
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode option : schema.get("enum")) {
                found |= jsonEquals(option, value);
            }
            if (!found) {
                problems.add(path + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
        if (schema.has("const") && !jsonEquals(schema.get("const"), value)) {
            problems.add(path + ": expected " + schema.get("const") + ", got " + value);
        }
        if (value.isNumber()) {
            BigDecimal number = value.decimalValue();
            if (schema.has("minimum") && number.compareTo(schema.get("minimum").decimalValue()) < 0) {
                problems.add(path + ": " + number + " < minimum " + schema.get("minimum"));
            }
            if (schema.has("maximum") && number.compareTo(schema.get("maximum").decimalValue()) > 0) {
                problems.add(path + ": " + number + " > maximum " + schema.get("maximum"));
            }
            if (schema.has("multipleOf")
                    && number.remainder(schema.get("multipleOf").decimalValue()).compareTo(BigDecimal.ZERO) != 0) {
                problems.add(path + ": " + number + " is not a multiple of " + schema.get("multipleOf"));
            }
        }
        if (value.isTextual()) {
            String text = value.textValue();
            int length = text.codePointCount(0, text.length());
            if (schema.has("minLength") && length < schema.get("minLength").intValue()) {
                problems.add(path + ": shorter than " + schema.get("minLength"));
            }
            if (schema.has("maxLength") && length > schema.get("maxLength").intValue()) {
                problems.add(path + ": longer than " + schema.get("maxLength"));
            }
            if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").textValue()).matcher(text).find()) {
                problems.add(path + ": '" + text + "' does not match " + schema.get("pattern").textValue());
            }
            if (schema.has("format")) {
                if (!"date-time".equals(schema.get("format").textValue())) {
                    throw new IllegalStateException("unsupported format " + schema.get("format"));
                }
                try {
                    OffsetDateTime.parse(text);
                } catch (DateTimeParseException e) {
                    problems.add(path + ": '" + text + "' is not a date-time");
                }
            }
        }
        if (value.isObject()) {
            validateObject(schema, value, path, problems);
        }
        if (value.isArray() && schema.has("maxItems") && value.size() > schema.get("maxItems").intValue()) {
            problems.add(path + ": more than " + schema.get("maxItems") + " items");
        }
        if (value.isArray() && schema.has("items")) {
            for (int i = 0; i < value.size(); i++) {
                validate(schema.get("items"), value.get(i), path + "[" + i + "]", problems);
            }
        }
    }

    private void validateObject(JsonNode schema, JsonNode value, String path, List<String> problems) {
        if (schema.has("required")) {
            for (JsonNode name : schema.get("required")) {
                if (!value.has(name.textValue())) {
                    problems.add(path + ": missing required '" + name.textValue() + "'");
                }
            }
        }
        if (schema.has("maxProperties") && value.size() > schema.get("maxProperties").intValue()) {
            problems.add(path + ": more than " + schema.get("maxProperties") + " properties");
        }
        JsonNode properties = schema.get("properties");
        JsonNode additional = schema.get("additionalProperties");
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String childPath = path + "." + field.getKey();
            if (schema.has("propertyNames")) {
                validate(schema.get("propertyNames"), JSON.getNodeFactory().textNode(field.getKey()), childPath + "(name)", problems);
            }
            if (properties != null && properties.has(field.getKey())) {
                validate(properties.get(field.getKey()), field.getValue(), childPath, problems);
            } else if (additional != null && additional.isBoolean()) {
                if (!additional.booleanValue()) {
                    problems.add(path + ": property '" + field.getKey() + "' is not allowed");
                }
            } else if (additional != null) {
                validate(additional, field.getValue(), childPath, problems);
            }
        }
    }

    private static boolean typeMatches(JsonNode type, JsonNode value) {
        if (type.isArray()) {
            for (JsonNode option : type) {
                if (typeMatches(option, value)) {
                    return true;
                }
            }
            return false;
        }
        return switch (type.textValue()) {
            case "object" -> value.isObject();
            case "array" -> value.isArray();
            case "string" -> value.isTextual();
            case "boolean" -> value.isBoolean();
            case "null" -> value.isNull();
            case "number" -> value.isNumber();
            case "integer" -> value.isIntegralNumber()
                    || (value.isNumber() && value.decimalValue().stripTrailingZeros().scale() <= 0);
            default -> throw new IllegalStateException("unknown type " + type);
        };
    }

    /** JSON equality: 1 equals 1.0. */
    private static boolean jsonEquals(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }
}
