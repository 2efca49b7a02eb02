package io.fluxfleet.devstack;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Classpaths of the local servers (Kafka broker, S3Proxy), resolved by Maven from the small
 * poms under {@code deploy/stack/<component>/pom.xml} and cached in {@code deploy/stack/.cache/}.
 *
 * <p>The servers need their own classpaths, not this project's: the Quarkus BOM pins a newer
 * kafka-clients than the broker is built against.
 */
final class StackClasspath {

    /** System property / environment variable naming the project root (the folder holding deploy/stack). */
    static final String ROOT_PROPERTY = "fluxfleet.root";
    static final String ROOT_ENV = "FLUXFLEET_ROOT";
    /** System property / environment variable naming the Maven executable (default: {@code mvn} on the PATH). */
    static final String MAVEN_PROPERTY = "fluxfleet.maven";
    static final String MAVEN_ENV = "FLUXFLEET_MAVEN";

    private static final long MAVEN_TIMEOUT_MINUTES = 10;

    private StackClasspath() {
    }

    /** The project root: from {@value #ROOT_PROPERTY} / {@value #ROOT_ENV}, else found by walking up from the current directory. */
    static Path projectRoot() {
        String configured = System.getProperty(ROOT_PROPERTY, System.getenv(ROOT_ENV));
        if (configured != null && !configured.isBlank()) {
            Path root = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isDirectory(root.resolve("deploy/stack"))) {
                throw new IllegalStateException(ROOT_PROPERTY + "=" + root + " holds no deploy/stack folder");
            }
            return root;
        }
        Path start = Path.of(System.getProperty("user.dir")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/stack"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/stack folder in " + start + " or above; set -D"
                + ROOT_PROPERTY + "=<fluxfleet checkout> or " + ROOT_ENV);
    }

    /**
     * The classpath of one component ("kafka" or "s3proxy"). Resolved once by Maven, then read from the
     * cache as long as the cache is newer than the pom and every jar in it still exists.
     */
    static synchronized String resolve(Path projectRoot, String component) throws IOException {
        Path pom = projectRoot.resolve("deploy/stack").resolve(component).resolve("pom.xml");
        if (!Files.isRegularFile(pom)) {
            throw new IllegalStateException("missing " + pom);
        }
        Path cacheDir = projectRoot.resolve("deploy/stack/.cache");
        Path cached = cacheDir.resolve(component + ".classpath");
        if (isUsable(cached, pom)) {
            return Files.readString(cached, StandardCharsets.UTF_8).strip();
        }

        Files.createDirectories(cacheDir);
        // Written to a temporary file and moved into place, so a concurrent JVM never reads half a file.
        Path partial = Files.createTempFile(cacheDir, component, ".classpath.tmp");
        Path mavenLog = cacheDir.resolve(component + "-resolve.log");
        List<String> command = new ArrayList<>(List.of(mavenExecutable(), "-q", "-B",
                "-f", pom.toString(),
                "dependency:build-classpath",
                "-Dmdep.outputFile=" + partial));
        Process maven = new ProcessBuilder(command)
                .directory(projectRoot.toFile())
                .redirectErrorStream(true)
                .redirectOutput(mavenLog.toFile())
                .start();
        maven.getOutputStream().close();
        try {
            if (!maven.waitFor(MAVEN_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                maven.destroyForcibly();
                throw new IOException("Maven did not resolve the " + component + " classpath within "
                        + MAVEN_TIMEOUT_MINUTES + " min; see " + mavenLog);
            }
        } catch (InterruptedException e) {
            maven.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while resolving the " + component + " classpath", e);
        }
        String classpath = Files.readString(partial, StandardCharsets.UTF_8).strip();
        if (maven.exitValue() != 0 || classpath.isEmpty()) {
            Files.deleteIfExists(partial);
            throw new IOException("Maven failed to resolve the " + component + " classpath (exit "
                    + maven.exitValue() + ") with: " + String.join(" ", command) + "\n"
                    + ServerProcess.tail(mavenLog, 30));
        }
        Files.move(partial, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return classpath;
    }

    private static boolean isUsable(Path cached, Path pom) throws IOException {
        if (!Files.isRegularFile(cached)
                || Files.getLastModifiedTime(cached).compareTo(Files.getLastModifiedTime(pom)) < 0) {
            return false;
        }
        String classpath = Files.readString(cached, StandardCharsets.UTF_8).strip();
        return !classpath.isEmpty()
                && Arrays.stream(classpath.split(File.pathSeparator)).allMatch(jar -> Files.exists(Path.of(jar)));
    }

    private static String mavenExecutable() {
        String configured = System.getProperty(MAVEN_PROPERTY, System.getenv(MAVEN_ENV));
        return configured == null || configured.isBlank() ? "mvn" : configured;
    }
}
