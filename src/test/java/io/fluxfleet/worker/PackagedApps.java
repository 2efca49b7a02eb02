package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts the packaged application ({@code quarkus-app/quarkus-run.jar}, built by {@code mvn verify} before the
 * integration tests) as its own JVM against a {@link LocalStack}, as the integration tests run workers, the
 * router and the gateway. {@link WorkerReadiness} waits for them and stops them.
 */
public final class PackagedApps {

    private PackagedApps() {
    }

    /** The packaged app ({@code -Dfluxfleet.worker.jar} overrides the default); fails the test when it is missing. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("fluxfleet.worker.jar", "target/quarkus-app/quarkus-run.jar")).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "no packaged app at " + jar + " (run mvn verify)");
        return jar;
    }

    /**
     * {@code java} with what every app of the tests needs: the heap, a serial GC, DJL offline, the stack's
     * Kafka and S3 (with its credentials) and HTTP on loopback. The caller adds its own {@code -D} options.
     */
    public static List<String> javaCommand(String maxHeap, LocalStack stack) {
        return new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + maxHeap, "-XX:+UseSerialGC", "-Dai.djl.offline=true",
                "-Dkafka.bootstrap.servers=" + stack.bootstrapServers(),
                "-Dquarkus.minio.host=" + stack.s3Endpoint(),
                "-Dquarkus.minio.access-key=" + stack.accessKey(),
                "-Dquarkus.minio.secret-key=" + stack.secretKey(),
                "-Dquarkus.http.host=127.0.0.1"));
    }

    /** Runs {@code <command> -jar <jar>} with stdout and stderr going to {@code log}. */
    public static Process start(List<String> command, Path log) throws IOException {
        List<String> full = new ArrayList<>(command);
        full.addAll(List.of("-jar", jar().toString()));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        return process;
    }

    /** A free port on 127.0.0.1 for an app's HTTP server. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
