package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** Every YAML file under k8s/ parses, is used, and each resource in it is identified. */
class ManifestYamlTest {

    static final Path K8S = Yamls.root().resolve("k8s");

    @Test
    void everyYamlFileParses() {
        List<Path> files = Yamls.yamlFilesUnder(K8S);
        assertTrue(files.size() >= 15, "found only " + files);
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            try {
                List<JsonNode> docs = Yamls.readAll(file);
                if (docs.isEmpty()) {
                    problems.add(file + ": empty");
                }
            } catch (RuntimeException e) {
                problems.add(e.getMessage());
            }
        }
        assertEquals(List.of(), problems);
    }

    /** Files named by some kustomization (resources and patches), recursively from the overlays. */
    static Set<Path> referencedFiles() {
        Set<Path> out = new TreeSet<>();
        for (Path kustomization : Yamls.yamlFilesUnder(K8S)) {
            if (!kustomization.getFileName().toString().startsWith("kustomization.")) {
                continue;
            }
            out.add(kustomization);
            JsonNode k = Yamls.readOne(kustomization);
            Path dir = kustomization.getParent();
            k.path("resources").forEach(r -> out.add(dir.resolve(r.asText()).normalize()));
            k.path("patches").forEach(p -> out.add(dir.resolve(p.path("path").asText()).normalize()));
        }
        return out;
    }

    static Set<Path> patchFiles() {
        Set<Path> out = new TreeSet<>();
        for (Path kustomization : Yamls.yamlFilesUnder(K8S)) {
            if (kustomization.getFileName().toString().startsWith("kustomization.")) {
                Yamls.readOne(kustomization).path("patches")
                        .forEach(p -> out.add(kustomization.getParent().resolve(p.path("path").asText()).normalize()));
            }
        }
        return out;
    }

    @Test
    void everyManifestIsUsedByAKustomizationOrIsATool() {
        Set<Path> referenced = referencedFiles();
        for (Path file : Yamls.yamlFilesUnder(K8S)) {
            assertTrue(referenced.contains(file) || file.startsWith(K8S.resolve("tools")),
                    file + " is in no kustomization (resources or patches): dead manifest?");
        }
        for (Path p : referenced) {
            assertTrue(Files.exists(p), "referenced but missing: " + p);
        }
    }

    @Test
    void everyResourceDocumentIsIdentified() {
        Set<Path> patches = patchFiles();
        for (Path file : Yamls.yamlFilesUnder(K8S)) {
            if (file.getFileName().toString().startsWith("kustomization.")) {
                continue;
            }
            for (JsonNode doc : Yamls.readAll(file)) {
                if (doc.isArray()) {
                    assertTrue(patches.contains(file), file + ": a list is only valid as a JSON 6902 patch");
                    continue;
                }
                assertTrue(doc.isObject(), file + ": a document must be a mapping");
                assertFalse(doc.path("apiVersion").asText("").isBlank(), file + ": apiVersion");
                assertFalse(Yamls.kind(doc).isBlank(), file + ": kind");
                assertFalse(Yamls.name(doc).isBlank(), file + ": metadata.name");
                assertFalse(doc.path("metadata").has("namespace"),
                        file + ": namespaces come from the overlay's kustomization, not from the manifests");
            }
        }
    }
}
