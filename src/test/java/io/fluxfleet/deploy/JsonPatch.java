package io.fluxfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/** RFC 6902 JSON Patch (add, remove, replace, test) with RFC 6901 pointers, for {@link Kustomize}. */
final class JsonPatch {

    private JsonPatch() {
    }

    static void apply(ObjectNode doc, ArrayNode ops, String source) {
        for (JsonNode op : ops) {
            String kind = op.path("op").asText("");
            String path = op.path("path").asText(null);
            if (path == null) {
                throw new Kustomize.KustomizeException(source + ": operation without path: " + op);
            }
            List<String> tokens = parse(path, source);
            switch (kind) {
                case "add" -> add(doc, tokens, value(op, source), path, source);
                case "replace" -> {
                    remove(doc, tokens, path, source);
                    add(doc, tokens, value(op, source), path, source);
                }
                case "remove" -> remove(doc, tokens, path, source);
                case "test" -> {
                    JsonNode actual = get(doc, tokens, path, source);
                    if (!actual.equals(value(op, source))) {
                        throw new Kustomize.KustomizeException(source + ": test failed at " + path + ": " + actual);
                    }
                }
                default -> throw new Kustomize.KustomizeException(source + ": JSON patch op '" + kind
                        + "' is not implemented");
            }
        }
    }

    private static JsonNode value(JsonNode op, String source) {
        if (!op.has("value")) {
            throw new Kustomize.KustomizeException(source + ": operation without value: " + op);
        }
        return op.get("value").deepCopy();
    }

    static List<String> parse(String pointer, String source) {
        if (pointer.isEmpty()) {
            throw new Kustomize.KustomizeException(source + ": patching the whole document is not supported");
        }
        if (!pointer.startsWith("/")) {
            throw new Kustomize.KustomizeException(source + ": JSON pointer must start with '/': " + pointer);
        }
        List<String> tokens = new ArrayList<>();
        for (String raw : pointer.substring(1).split("/", -1)) {
            tokens.add(raw.replace("~1", "/").replace("~0", "~"));
        }
        return tokens;
    }

    private static JsonNode get(JsonNode doc, List<String> tokens, String path, String source) {
        JsonNode cur = doc;
        for (String t : tokens) {
            cur = child(cur, t);
            if (cur == null) {
                throw new Kustomize.KustomizeException(source + ": path " + path + " does not exist");
            }
        }
        return cur;
    }

    private static JsonNode child(JsonNode node, String token) {
        if (node.isObject()) {
            return node.get(token);
        }
        if (node.isArray() && token.matches("0|[1-9][0-9]*")) {
            return node.get(Integer.parseInt(token));
        }
        return null;
    }

    private static void add(ObjectNode doc, List<String> tokens, JsonNode value, String path, String source) {
        JsonNode parent = get(doc, tokens.subList(0, tokens.size() - 1), path, source);
        String last = tokens.get(tokens.size() - 1);
        if (parent.isObject()) {
            ((ObjectNode) parent).set(last, value);
        } else if (parent.isArray()) {
            ArrayNode array = (ArrayNode) parent;
            if (last.equals("-")) {
                array.add(value);
            } else if (last.matches("0|[1-9][0-9]*") && Integer.parseInt(last) <= array.size()) {
                array.insert(Integer.parseInt(last), value);
            } else {
                throw new Kustomize.KustomizeException(source + ": bad array index in " + path);
            }
        } else {
            throw new Kustomize.KustomizeException(source + ": parent of " + path + " is not a container");
        }
    }

    private static void remove(ObjectNode doc, List<String> tokens, String path, String source) {
        get(doc, tokens, path, source); // must exist
        JsonNode parent = get(doc, tokens.subList(0, tokens.size() - 1), path, source);
        String last = tokens.get(tokens.size() - 1);
        if (parent.isObject()) {
            ((ObjectNode) parent).remove(last);
        } else {
            ((ArrayNode) parent).remove(Integer.parseInt(last));
        }
    }
}
