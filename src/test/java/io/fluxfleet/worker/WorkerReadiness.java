package io.fluxfleet.worker;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * Waits for packaged apps (child JVMs started with {@link PackagedApps}) to report ready, reads their logs
 * and stops them, for the integration tests.
 */
public final class WorkerReadiness {

    /** Runs between polls; throws (with the worker's log) when the worker died meanwhile. */
    @FunctionalInterface
    interface AliveCheck {
        void check() throws Exception;
    }

    private WorkerReadiness() {}

    /**
     * SIGTERM to every process (Quarkus shuts down gracefully), SIGKILL to any still running after 30 s,
     * then the local stack they used is closed.
     */
    public static void stopAll(Iterable<Process> processes, AutoCloseable stack) throws Exception {
        for (Process p : processes) {
            if (p != null) {
                p.destroy();
            }
        }
        for (Process p : processes) {
            if (p != null && !p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        if (stack != null) {
            stack.close();
        }
    }

    /**
     * Polls {@code /q/health/ready} on the worker's port every 500 ms until it answers 200; fails
     * after {@code timeout} with the last answer and {@code diagnostics} (the worker's log tail).
     */
    static void await(String worker, int httpPort, Duration timeout, AliveCheck alive, Supplier<String> diagnostics)
            throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        URI ready = URI.create("http://127.0.0.1:" + httpPort + "/q/health/ready");
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            alive.check();
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(5))
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200) {
                    return;
                }
                last = response.statusCode() + " " + response.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(500);
        }
        throw new AssertionError(worker + " not ready within " + timeout + ": " + last + "\n" + diagnostics.get());
    }

    /**
     * {@link #await} for an app started with {@link PackagedApps#start}: fails at once, with the tail of
     * its log, when the process exited.
     */
    public static void awaitReady(String name, int httpPort, Process process, Path log, Duration timeout)
            throws Exception {
        await(name, httpPort, timeout, () -> {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited (" + process.exitValue() + "):\n" + tail(log));
            }
        }, () -> tail(log));
    }

    /** The last 40 lines of an app's log. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }
}
