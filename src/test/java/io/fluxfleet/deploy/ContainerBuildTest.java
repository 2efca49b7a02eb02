package io.fluxfleet.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.cli.FluxfleetCli;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The container builds (deploy/container) agree with the manifests and the project: non-root user
 * = the pod's runAsUser, the fast-jar copied in, DJL offline with libtorch 2.7.1 (cu128 supplied at
 * build time for the GPU image), the JVM sized for native weights, and every script a manifest
 * runs present in the image and valid shell.
 */
class ContainerBuildTest {

    static final Path CONTAINER = Yamls.root().resolve("deploy/container");
    static final String SCRIPTS_IN_IMAGE = "/opt/fluxfleet/bin/";

    /** One Dockerfile as instructions (continuation lines joined, comments dropped). */
    static List<String> instructions(Path dockerfile) throws IOException {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : Files.readAllLines(dockerfile)) {
            String t = line.strip();
            if (t.startsWith("#") || (t.isEmpty() && cur.isEmpty())) {
                continue;
            }
            if (t.endsWith("\\")) {
                cur.append(t, 0, t.length() - 1).append(' ');
            } else {
                cur.append(t);
                if (!cur.toString().isBlank()) {
                    out.add(cur.toString().strip());
                }
                cur.setLength(0);
            }
        }
        return out;
    }

    /** The instructions of the last stage. */
    static List<String> finalStage(List<String> all) {
        int last = 0;
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).startsWith("FROM ")) {
                last = i;
            }
        }
        return all.subList(last, all.size());
    }

    /** ENV of a stage: NAME=value pairs (quoted values kept whole). */
    static Map<String, String> env(List<String> stage) {
        Map<String, String> env = new LinkedHashMap<>();
        Pattern pair = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\\S+)");
        for (String ins : stage) {
            if (ins.startsWith("ENV ")) {
                Matcher m = pair.matcher(ins.substring(4));
                while (m.find()) {
                    env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
                }
            }
        }
        return env;
    }

    static String pomProperty(String name) throws IOException {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(
                Files.readString(Yamls.root().resolve("pom.xml")));
        assertTrue(m.find(), "pom.xml has no property " + name);
        return m.group(1).trim();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.cuda", "Dockerfile.cpu"})
    void imageRunsTheFastJarAsTheNonRootUserOfThePod(String name) throws IOException {
        List<String> stage = finalStage(instructions(CONTAINER.resolve(name)));
        String user = stage.stream().filter(i -> i.startsWith("USER ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError(name + ": no USER")).substring(5).trim();
        assertTrue(user.matches("[1-9][0-9]*(:[0-9]+)?"), name + ": USER must be a numeric non-root uid: " + user);
        JsonNode pod = Rendered.podSpec(Rendered.overlay("prod").worker());
        assertEquals(pod.path("securityContext").path("runAsUser").asText(), user.split(":")[0],
                name + ": the image's user is the pod's runAsUser");
        for (String part : List.of("target/quarkus-app/lib/", "target/quarkus-app/quarkus-run.jar",
                "target/quarkus-app/app/", "target/quarkus-app/quarkus/")) {
            assertTrue(stage.stream().anyMatch(i -> i.startsWith("COPY ") && i.contains(part)), name + ": copies " + part);
        }
        String entrypoint = stage.stream().filter(i -> i.startsWith("ENTRYPOINT ")).findFirst().orElseThrow();
        Matcher script = Pattern.compile(Pattern.quote(SCRIPTS_IN_IMAGE) + "([a-z-]+)").matcher(entrypoint);
        assertTrue(script.find(), name + ": ENTRYPOINT runs a script of " + SCRIPTS_IN_IMAGE);
        assertScriptInImage(stage, script.group(1));
        assertTrue(Files.readString(CONTAINER.resolve("bin").resolve(script.group(1))).contains("quarkus-run.jar"));
        int port = Rendered.container(Rendered.overlay("prod").worker(), Rendered.WORKER_CONTAINER).path("ports").get(0)
                .path("containerPort").asInt();
        assertTrue(stage.contains("EXPOSE " + port), name + ": EXPOSE " + port);

        Map<String, String> env = env(stage);
        String javaOpts = env.getOrDefault("JAVA_OPTS", "");
        for (String flag : List.of("-Dai.djl.offline=true", "-Xmx", "-XX:MaxDirectMemorySize=", "-XX:+ExitOnOutOfMemoryError")) {
            assertTrue(javaOpts.contains(flag), name + ": JAVA_OPTS lacks " + flag);
        }
        Matcher xmx = Pattern.compile("-Xmx(\\d+)g").matcher(javaOpts);
        assertTrue(xmx.find() && Integer.parseInt(xmx.group(1)) <= 8,
                name + ": a small heap (the weights are native memory): " + javaOpts);
        String cache = env.get("DJL_CACHE_DIR");
        assertTrue(cache != null, name + ": DJL_CACHE_DIR");
        JsonNode worker = Rendered.container(Rendered.overlay("prod").worker(), Rendered.WORKER_CONTAINER);
        assertTrue(worker.path("securityContext").path("readOnlyRootFilesystem").asBoolean(false));
        assertTrue(WorkerAgreementTest.mountFor(worker, cache).isPresent(),
                "the DJL cache " + cache + " is a writable volume (the root filesystem is read-only)");
        assertTrue(WorkerAgreementTest.mountFor(worker, "/tmp").isPresent(), "/tmp is a writable volume");
    }

    private static void assertScriptInImage(List<String> stage, String script) {
        assertTrue(Files.isRegularFile(CONTAINER.resolve("bin").resolve(script)), "deploy/container/bin/" + script);
        assertTrue(Files.isExecutable(CONTAINER.resolve("bin").resolve(script)), script + " must be executable");
        assertTrue(stage.stream().anyMatch(i -> i.startsWith("COPY ") && i.contains("deploy/container/bin/")
                && i.contains(SCRIPTS_IN_IMAGE)), "the image copies deploy/container/bin/ to " + SCRIPTS_IN_IMAGE);
    }

    @Test
    void gpuImageUsesLibtorchSuppliedAtBuildTime() throws IOException {
        List<String> all = instructions(CONTAINER.resolve("Dockerfile.cuda"));
        List<String> stage = finalStage(all);
        assertTrue(stage.get(0).contains("CUDA_IMAGE") || stage.get(0).contains("nvidia/cuda"), stage.get(0));
        String cudaImage = all.stream().filter(i -> i.startsWith("ARG CUDA_IMAGE=")).findFirst().orElseThrow();
        assertTrue(cudaImage.matches("ARG CUDA_IMAGE=nvidia/cuda:12\\.8\\.\\d+-(cudnn-)?runtime-ubuntu\\d\\d\\.04"), cudaImage);
        Map<String, String> env = env(stage);
        assertEquals(pomProperty("pytorch.version"), env.get("PYTORCH_VERSION"), "libtorch = the pom's pytorch.version");
        assertEquals("cu128", env.get("PYTORCH_FLAVOR"));
        String libPath = env.get("PYTORCH_LIBRARY_PATH");
        assertTrue(stage.stream().anyMatch(i -> i.matches("COPY --from=libtorch lib/ " + Pattern.quote(libPath) + "/?")),
                "PYTORCH_LIBRARY_PATH " + libPath + " is where the libtorch build context's lib/ goes");
        String expectedBuild = pomProperty("pytorch.version") + "+cu128";
        assertTrue(stage.stream().anyMatch(i -> i.contains(expectedBuild)),
                "the build checks libtorch's build-version");
        assertTrue(all.stream().anyMatch(i -> i.matches("FROM \\S+ AS libtorch")),
                "a placeholder stage named libtorch fails clearly without --build-context libtorch=...");
        assertFalse(stage.stream().anyMatch(i -> i.matches("(?i).*(curl|wget)\\s+\\S*(download\\.pytorch|https?://).*")),
                "the image downloads nothing itself; libtorch comes from the build context");
    }

    @Test
    void cpuImageUsesTheBundledLibtorch() throws IOException {
        List<String> all = instructions(CONTAINER.resolve("Dockerfile.cpu"));
        assertTrue(all.stream().anyMatch(i -> i.matches("ARG JRE_IMAGE=eclipse-temurin:17-jre.*")));
        Map<String, String> env = env(finalStage(all));
        assertFalse(env.containsKey("PYTORCH_LIBRARY_PATH"), "the CPU image uses the pytorch-native-cpu jar");
        assertTrue(Files.readString(Yamls.root().resolve("pom.xml")).contains("<artifactId>pytorch-native-cpu</artifactId>"));
    }

    @Test
    void scriptsTheManifestsRunAreInTheImage() throws IOException {
        List<String> stage = finalStage(instructions(CONTAINER.resolve("Dockerfile.cuda")));
        List<String> commands = new ArrayList<>();
        for (String overlay : Rendered.OVERLAYS) {
            Rendered r = Rendered.overlay(overlay);
            JsonNode pod = Rendered.podSpec(r.worker());
            for (String field : List.of("initContainers", "containers")) {
                for (JsonNode c : pod.path(field)) {
                    c.path("command").forEach(a -> commands.add(a.asText()));
                    c.path("lifecycle").path("preStop").path("exec").path("command").forEach(a -> commands.add(a.asText()));
                }
            }
        }
        List<String> scripts = commands.stream().filter(c -> c.startsWith(SCRIPTS_IN_IMAGE)).distinct().toList();
        assertTrue(scripts.contains(SCRIPTS_IN_IMAGE + "drain") && scripts.contains(SCRIPTS_IN_IMAGE + "fluxfleet"), scripts.toString());
        for (String s : scripts) {
            assertScriptInImage(stage, s.substring(SCRIPTS_IN_IMAGE.length()));
        }
        String drain = Files.readString(CONTAINER.resolve("bin/drain"));
        assertTrue(drain.contains("FLUXFLEET_DRAIN_TIMEOUT_SECONDS") && drain.contains("/q/health/live"));
        assertTrue(drain.contains(" BUSY"), "the drain waits on the slot state the liveness check reports");
        String fluxfleet = Files.readString(CONTAINER.resolve("bin/fluxfleet"));
        assertTrue(fluxfleet.contains(FluxfleetCli.class.getName()), "bin/fluxfleet runs the CLI's main class");
    }

    @Test
    void theInitContainerRunsARealCliCommand() {
        JsonNode init = Rendered.podSpec(Rendered.overlay("dev").worker()).path("initContainers").get(0);
        String sub = init.path("command").get(1).asText();
        CommandLine cli = new CommandLine(new FluxfleetCli());
        assertTrue(cli.getSubcommands().containsKey(sub), "the CLI has no subcommand " + sub);
        List<String> args = new ArrayList<>();
        init.path("command").forEach(a -> args.add(a.asText()));
        CommandLine.ParseResult parsed = cli.parseArgs(args.subList(1, args.size()).toArray(String[]::new));
        assertTrue(parsed.hasSubcommand());
    }

    @Test
    void scriptsAreValidShell() throws Exception {
        Path sh = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "sh"))) {
                sh = Path.of(dir, "sh");
                break;
            }
        }
        if (sh == null) {
            System.out.println("[ContainerBuildTest] no sh on the PATH: syntax check of deploy/container/bin skipped");
            return;
        }
        try (var files = Files.list(CONTAINER.resolve("bin"))) {
            for (Path script : files.toList()) {
                assertTrue(Files.readString(script).startsWith("#!/bin/sh"), script + ": POSIX sh (the images have no bash guarantee)");
                Process p = new ProcessBuilder(sh.toString(), "-n", script.toString()).redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), script + ": " + out);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.cuda", "Dockerfile.cpu"})
    void buildContextSendsOnlyTheFastJarAndScripts(String name) throws IOException {
        List<String> ignore = Files.readAllLines(CONTAINER.resolve(name + ".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertEquals(List.of("*", "!target/quarkus-app", "!deploy/container/bin"), ignore);
        String readme = Files.readString(CONTAINER.resolve("README.md"));
        assertTrue(readme.contains("-f deploy/container/" + name), "README shows how to build " + name);
    }

    @Test
    void readmeDocumentsTheLibtorchContextAndTheModelVolume() throws IOException {
        String readme = Files.readString(CONTAINER.resolve("README.md"));
        assertTrue(readme.contains("--build-context libtorch="));
        // The key the tests resolve the model directory by (WorkerAgreementTest), and its variable.
        assertTrue(readme.contains("FLUXFLEET_MODEL_DIR") && readme.contains(WorkerConfig.MODEL_DIR));
        assertEquals("FLUXFLEET_MODEL_DIR", WorkerConfig.envName(WorkerConfig.MODEL_DIR));
    }
}
