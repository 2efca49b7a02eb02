package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No credential is written into a manifest, an image or a ConfigMap: no Secret objects under k8s/,
 * every credential-looking environment variable comes from a secretKeyRef, and no file of k8s/ or
 * deploy/container/ contains a password, a key, or one of the development credentials of
 * application.properties.
 */
class NoLiteralCredentialsTest {

    static final List<Pattern> LEAKS = List.of(
            Pattern.compile("AKIA[0-9A-Z]{16}"),                                  // AWS access key id
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----"),
            Pattern.compile("(?i)password\\s*=\\s*\"[^\"$]+\""),                  // JAAS or properties
            Pattern.compile("(?i)(password|secret[-_]?key|access[-_]?key)\\s*[:=]\\s*['\"]?[A-Za-z0-9+/]{8,}"),
            Pattern.compile("minioadmin"),
            Pattern.compile("(?i)hf_[A-Za-z0-9]{20,}"));                           // Hugging Face token

    static List<Path> scannedFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String dir : List.of("k8s", "deploy/container")) {
            try (Stream<Path> s = Files.walk(Yamls.root().resolve(dir))) {
                s.filter(Files::isRegularFile).forEach(files::add);
            }
        }
        return files;
    }

    @Test
    void noSecretObjectsInManifests() {
        for (Path file : Yamls.yamlFilesUnder(Yamls.root().resolve("k8s"))) {
            for (JsonNode doc : Yamls.readAll(file)) {
                assertFalse(doc.isObject() && Yamls.kind(doc).equals("Secret"),
                        file + ": Secrets are created with kubectl (docs/operator-guide.md), never committed");
                assertFalse(doc.isObject() && (doc.has("stringData") || doc.has("secretGenerator")), file.toString());
            }
        }
    }

    @Test
    void credentialEnvironmentVariablesComeFromSecrets() {
        for (String overlay : Rendered.OVERLAYS) {
            Rendered r = Rendered.overlay(overlay);
            List<JsonNode> objects = new ArrayList<>(r.resources);
            for (Path file : Yamls.yamlFilesUnder(Yamls.root().resolve("k8s/tools"))) {
                objects.addAll(Yamls.readAll(file));
            }
            for (JsonNode o : objects) {
                CrossReferenceTest.walk(o, node -> {
                    if (node.has("name") && (node.has("value") || node.has("valueFrom"))
                            && WorkerConfig.isCredentialName(node.path("name").asText())) {
                        assertTrue(node.path("valueFrom").has("secretKeyRef"), overlay + " " + Yamls.id(o) + ": "
                                + node.path("name").asText() + " must come from a secretKeyRef");
                    }
                });
                if (Yamls.kind(o).equals("ConfigMap")) {
                    o.path("data").fieldNames().forEachRemaining(k -> assertFalse(WorkerConfig.isCredentialName(k),
                            overlay + ": credential " + k + " in ConfigMap " + Yamls.name(o)));
                }
            }
        }
    }

    @Test
    void noCredentialTextInManifestsOrImages() throws IOException {
        Properties props = WorkerConfig.loadProperties();
        List<String> devCredentials = new ArrayList<>();
        for (String key : props.stringPropertyNames()) {
            if (WorkerConfig.isCredentialName(key) && props.getProperty(key).length() >= 6) {
                devCredentials.add(props.getProperty(key));
            }
        }
        assertFalse(devCredentials.isEmpty(), "expected the development S3 keys of application.properties");
        List<String> found = new ArrayList<>();
        for (Path file : scannedFiles()) {
            String text = Files.readString(file);
            for (Pattern leak : LEAKS) {
                if (leak.matcher(text).find()) {
                    found.add(file + ": " + leak);
                }
            }
            for (String credential : devCredentials) {
                if (text.contains(credential)) {
                    found.add(file + ": contains a development credential of application.properties");
                }
            }
        }
        assertEquals(List.of(), found);
    }

    @Test
    void imagesBakeNoCredentials() throws IOException {
        for (Path file : scannedFiles()) {
            if (!file.getFileName().toString().startsWith("Dockerfile") || file.toString().endsWith(".dockerignore")) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String t = line.trim();
                if (t.startsWith("ENV ") || t.startsWith("ARG ")) {
                    for (String word : t.substring(4).split("\\s+")) {
                        String name = word.contains("=") ? word.substring(0, word.indexOf('=')) : word;
                        assertFalse(WorkerConfig.isCredentialName(name), file + ": " + t);
                    }
                }
            }
        }
    }

    @Test
    void theLeakPatternsWork() {
        assertTrue(LEAKS.stream().anyMatch(p -> p.matcher("sasl.jaas.config: x password=\"hunter22\";").find()));
        assertTrue(LEAKS.stream().anyMatch(p -> p.matcher("secret-key: abcdefgh12345678").find()));
        assertFalse(LEAKS.stream().anyMatch(p -> p.matcher("          key: password\n").find()));
        assertFalse(LEAKS.stream().anyMatch(p -> p.matcher("  --from-literal=secret-key=\"$(openssl rand -hex 24)\"").find()));
    }
}
