package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.cli.FluxfleetCli;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.sampling.jit.JitPreset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The operator and integration guides stay true: the paths they name exist, the metrics and alerts
 * they list are the ones the worker and the PrometheusRule have, the configuration table matches the
 * overlays, the capacity table follows from the FLOPs model and the published latencies, the Java
 * examples compile, and the CLI invocations parse against the real CLI.
 */
class DocsTest {

    static final Path ROOT = Yamls.root();
    static final List<String> GUIDES = List.of("docs/operator-guide.md", "docs/integration-guide.md",
            "deploy/container/README.md", "k8s/README.md");

    static String read(String path) throws IOException {
        return Files.readString(ROOT.resolve(path));
    }

    @Test
    void pathsNamedInTheGuidesExist() throws IOException {
        Pattern path = Pattern.compile("(?<![\\w/.-])((?:k8s|deploy|docs|src|bin)/[A-Za-z0-9_./*-]*[A-Za-z0-9_/*-])");
        List<String> missing = new ArrayList<>();
        for (String guide : GUIDES) {
            Path base = ROOT.resolve(guide).getParent();
            Matcher m = Pattern.compile("\\]\\(([^)#]+)").matcher(read(guide));
            while (m.find()) {
                String link = m.group(1);
                if (!link.startsWith("http") && !Files.exists(base.resolve(link).normalize())) {
                    missing.add(guide + ": link " + link);
                }
            }
            Matcher p = path.matcher(read(guide));
            while (p.find()) {
                String found = p.group(1).replaceAll("/\\*.*$", "");
                if (found.startsWith("src/main/java/io/fluxfleet/deploy")) {
                    continue;
                }
                // Relative to the repository root, or to the guide's folder (deploy/container/README.md: bin/drain).
                if (!Files.exists(ROOT.resolve(found)) && !Files.exists(base.resolve(found)) && !found.contains("*")) {
                    missing.add(guide + ": " + found);
                }
            }
        }
        assertEquals(List.of(), missing);
    }

    /** Prometheus names the worker's meters can have (Micrometer's naming: counters _total, timers _seconds). */
    static Set<String> workerMetricNames() throws IOException {
        String source = read("src/main/java/io/fluxfleet/worker/FleetMetrics.java");
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\"(fluxfleet\\.[a-z.]+)\"").matcher(source);
        while (m.find()) {
            String base = m.group(1).replace('.', '_');
            for (String suffix : List.of("", "_total", "_seconds", "_seconds_bucket", "_seconds_count", "_seconds_sum",
                    "_seconds_max", "_count", "_sum", "_max")) {
                names.add(base + suffix);
            }
        }
        assertTrue(names.contains("fluxfleet_jobs_total"), names.toString());
        return names;
    }

    @Test
    void metricsInGuidesAndAlertsAreExportedByTheWorker() throws IOException {
        Set<String> exported = workerMetricNames();
        List<String> texts = new ArrayList<>();
        for (String guide : GUIDES) {
            texts.add(read(guide));
        }
        for (String overlay : Rendered.OVERLAYS) {
            Rendered.overlay(overlay).ofKind("PrometheusRule").forEach(r -> texts.add(r.toString()));
        }
        Pattern metric = Pattern.compile("\\bfluxfleet_[a-z_]+");
        Set<String> unknown = new TreeSet<>();
        for (String text : texts) {
            Matcher m = metric.matcher(text);
            while (m.find()) {
                if (!exported.contains(m.group())) {
                    unknown.add(m.group());
                }
            }
        }
        assertEquals(Set.of(), unknown, "metric names the worker does not export (FleetMetrics): ");
    }

    @Test
    void alertTableListsExactlyTheAlerts() throws IOException {
        Set<String> alerts = new TreeSet<>();
        Rendered.overlay("prod").ofKind("PrometheusRule").forEach(r -> r.path("spec").path("groups")
                .forEach(g -> g.path("rules").forEach(rule -> alerts.add(rule.path("alert").asText()))));
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("`(Fluxfleet[A-Za-z]+)`").matcher(read("docs/operator-guide.md"));
        while (m.find()) {
            documented.add(m.group(1));
        }
        assertEquals(alerts, documented);
    }

    @Test
    void configurationTableMatchesTheOverlays() throws IOException {
        Map<String, Map<String, String>> env = new LinkedHashMap<>();
        for (String overlay : Rendered.OVERLAYS) {
            env.put(overlay, Rendered.overlay(overlay).workerConfig().env());
        }
        Pattern row = Pattern.compile("^\\| `([A-Z_]+)` \\| `([^`|]*)` \\| `([^`|]*)` \\|", Pattern.MULTILINE);
        Matcher m = row.matcher(read("docs/operator-guide.md"));
        int rows = 0;
        while (m.find()) {
            rows++;
            assertEquals(m.group(2), env.get("dev").get(m.group(1)), "dev " + m.group(1));
            assertEquals(m.group(3), env.get("prod").get(m.group(1)), "prod " + m.group(1));
        }
        assertTrue(rows >= 6, "configuration table rows found: " + rows);
    }

    @Test
    void capacityTableFollowsFromTheFlopsModelAndPublishedLatencies() throws IOException {
        FluxConfig dev = FluxConfig.dev();
        int n = 4096;
        double full = FlopsModel.FULL_STEPS * FlopsModel.perCall(dev, n, 512) / 1e12;
        Map<String, Double> tflops = new LinkedHashMap<>();
        tflops.put("none", full);
        for (JitPreset p : List.of(JitPreset.jit4x(), JitPreset.jit7x())) {
            long[][] stages = new long[p.stages()][];
            for (int k = 0; k < p.stages(); k++) {
                stages[k] = new long[] {p.stageSteps(k), p.anchors(k, n)};
            }
            tflops.put(p.name(), full / FlopsModel.speedupVsFull(dev, stages, n, 512));
        }
        Pattern row = Pattern.compile("^\\| `([a-z0-9-]+)`[^|]*\\| (\\d+) \\| (\\d+) \\| ([0-9.]+)[^|]*\\| (\\d+) \\| (\\d+) \\|",
                Pattern.MULTILINE);
        Matcher m = row.matcher(read("docs/operator-guide.md"));
        int rows = 0;
        while (m.find()) {
            rows++;
            String preset = m.group(1);
            assertTrue(tflops.containsKey(preset), preset);
            double expected = tflops.get(preset);
            assertEquals(expected, Double.parseDouble(m.group(3)), Math.max(1.0, 0.002 * expected),
                    preset + " TFLOPs (model: " + expected + ")");
            double seconds = Double.parseDouble(m.group(4));
            assertEquals(Math.round(3600 / seconds), Long.parseLong(m.group(5)), preset + " jobs/h");
            assertEquals(Math.round(3600 / (seconds + 1.5)), Long.parseLong(m.group(6)), preset + " jobs/h + overhead");
        }
        assertEquals(3, rows, "capacity table rows");
        String guide = read("docs/operator-guide.md");
        for (String published : List.of("25.25 s", "6.02 s", "3.67 s", "25.1 s", "3719 TFLOPs")) {
            assertTrue(guide.contains(published), published);
        }
        assertTrue(guide.contains("published figures") && guide.contains("not measurements of this fleet"));
    }

    @Test
    void javaExamplesCompile(@TempDir Path dir) throws IOException {
        String guide = read("docs/integration-guide.md");
        Matcher m = Pattern.compile("<!-- java: (\\w+) -->\\s*```java\\n(.*?)```", Pattern.DOTALL).matcher(guide);
        List<String> files = new ArrayList<>();
        while (m.find()) {
            Path file = dir.resolve(m.group(1) + ".java");
            Files.writeString(file, m.group(2));
            files.add(file.toString());
        }
        assertEquals(2, files.size(), "Java examples in the integration guide");
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> args = new ArrayList<>(List.of("-d", dir.resolve("classes").toString(), "-cp", classpath,
                "-proc:none", "-Xlint:none"));
        args.addAll(files);
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = javac.run(null, null, err, args.toArray(String[]::new));
        assertEquals(0, rc, "the integration guide's Java examples do not compile:\n" + err);
    }

    @Test
    void cliInvocationsParse() throws IOException {
        Pattern call = Pattern.compile("fluxfleet((?: (?:submit|tiny-checkpoint))(?:[^\\n]|\\\\\\n)*)");
        int calls = 0;
        for (String guide : GUIDES) {
            String text = read(guide).replace("\\\n", " ").replace('`', '\n');
            for (String line : text.split("\n")) {
                Matcher m = call.matcher(line);
                if (!m.find() || !(line.contains("bin/fluxfleet ") || line.contains("/opt/fluxfleet/bin/fluxfleet"))) {
                    continue;
                }
                List<String> args = shellWords(m.group(1).replaceAll("\\s+#.*$", ""));
                new CommandLine(new FluxfleetCli()).parseArgs(args.toArray(String[]::new));
                calls++;
            }
        }
        assertTrue(calls >= 3, "CLI invocations found: " + calls);
    }

    /** Splits a shell command line into words (quotes removed, variables kept as they are). */
    static List<String> shellWords(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (char c : s.toCharArray()) {
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else if (c == '|' || c == ';' || c == '&' || c == '>') {
                break;
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }

    @Test
    void kubectlApplyTargetsExist() throws IOException {
        Pattern apply = Pattern.compile("kubectl (?:-n \\S+ )?(?:apply|create) (-k|-f) (\\S+)");
        for (String guide : GUIDES) {
            Matcher m = apply.matcher(read(guide));
            while (m.find()) {
                String target = m.group(2);
                if (target.startsWith("'http") || target.startsWith("http")) {
                    continue;
                }
                Path p = ROOT.resolve(target);
                assertTrue(m.group(1).equals("-k") ? Files.isDirectory(p) : Files.isRegularFile(p), guide + ": " + target);
            }
        }
    }

    @Test
    void theIntegrationGuideNamesTheDeployedTopics() throws IOException {
        String guide = read("docs/integration-guide.md");
        Rendered prod = Rendered.overlay("prod");
        Matcher m = Pattern.compile("`(fluxfleet\\.[a-z.]+[a-z])`").matcher(guide);
        Set<String> topics = new TreeSet<>();
        while (m.find()) {
            topics.add(m.group(1));
        }
        assertFalse(topics.isEmpty());
        for (String topic : topics) {
            if (topic.startsWith("fluxfleet.job.")) {
                continue; // CloudEvents types, not topics
            }
            assertTrue(prod.kafkaTopic(topic).isPresent(), "the integration guide names topic " + topic
                    + " which the deployment does not declare");
        }
        JsonNode user = Yamls.readOne(ROOT.resolve("k8s/tools/backend-kafka-user.yaml"));
        assertTrue(WorkerAgreementTest.allowed(user, "topic", "fluxfleet.jobs", "Write"));
        assertTrue(WorkerAgreementTest.allowed(user, "topic", "fluxfleet.events", "Read"));
        assertTrue(WorkerAgreementTest.allowed(user, "group", "acme-backend-events", "Read"),
                "the FleetEvents example's group is allowed to the example backend user");
        assertTrue(guide.contains("\"acme-backend-events\""));
    }
}
