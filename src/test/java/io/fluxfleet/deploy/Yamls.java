package io.fluxfleet.deploy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * YAML reading for the deployment tests (Jackson YAML): multi-document files, duplicate keys rejected
 * (kubectl rejects them too), and small helpers to walk Kubernetes objects as JSON trees.
 */
final class Yamls {

    static final ObjectMapper MAPPER = new ObjectMapper(new YAMLFactory())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    static final ObjectMapper JSON = new ObjectMapper();

    private Yamls() {
    }

    /** The repository root: the working directory of Maven's test run. */
    static Path root() {
        Path here = Paths.get("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("k8s")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p;
            }
        }
        throw new IllegalStateException("no k8s/ beside a pom.xml above " + here);
    }

    /** Every document of a YAML file (empty documents skipped); duplicate keys are an error. */
    static List<JsonNode> readAll(Path file) {
        try {
            return readAll(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    static List<JsonNode> readAll(String text) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        // One tree per document (a MappingIterator would unwrap a top-level list into its items).
        try (JsonParser parser = MAPPER.getFactory().createParser(text)) {
            while (parser.nextToken() != null) {
                JsonNode doc = MAPPER.readTree(parser);
                if (doc != null && !doc.isNull() && !doc.isMissingNode()) {
                    docs.add(doc);
                }
            }
        }
        return docs;
    }

    /** The single document of a file that must hold exactly one. */
    static JsonNode readOne(Path file) {
        List<JsonNode> docs = readAll(file);
        if (docs.size() != 1) {
            throw new IllegalArgumentException(file + ": expected one YAML document, found " + docs.size());
        }
        return docs.get(0);
    }

    static List<Path> yamlFilesUnder(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String kind(JsonNode o) {
        return o.path("kind").asText("");
    }

    static String name(JsonNode o) {
        return o.path("metadata").path("name").asText("");
    }

    static String id(JsonNode o) {
        return kind(o) + "/" + name(o);
    }

    /** The value at a path of field names (numbers index arrays); empty when absent. */
    static Optional<JsonNode> at(JsonNode node, String... path) {
        JsonNode cur = node;
        for (String step : path) {
            if (cur == null) {
                return Optional.empty();
            }
            cur = cur.isArray() && step.chars().allMatch(Character::isDigit) ? cur.get(Integer.parseInt(step))
                    : cur.get(step);
        }
        return cur == null || cur.isNull() || cur.isMissingNode() ? Optional.empty() : Optional.of(cur);
    }

    static String text(JsonNode node, String... path) {
        return at(node, path).map(JsonNode::asText).orElse(null);
    }

    static List<JsonNode> list(JsonNode node, String... path) {
        List<JsonNode> out = new ArrayList<>();
        at(node, path).ifPresent(n -> n.forEach(out::add));
        return out;
    }

    static ObjectNode deepCopy(JsonNode node) {
        return (ObjectNode) node.deepCopy();
    }
}
