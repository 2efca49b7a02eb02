package io.fluxfleet.fleet;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One packaged worker (target/quarkus-app) as a child JVM, the way a pod runs it: its own HTTP port, a
 * stable worker id across restarts (the pod name), SIGKILL and SIGTERM from outside. Every start gets a
 * new log file ({@code worker-<n>-<generation>.log}).
 */
final class WorkerProcess {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    final int index;
    final String workerId;
    private final int httpPort;
    private final Path logDir;
    private final List<String> baseCommand;
    private Process process;
    private int generation;
    /** Exits the suite did not cause (no SIGKILL or SIGTERM of ours): crashes or fail-stops. */
    private final List<Integer> unexpectedExits = new ArrayList<>();
    private boolean expectingExit;
    /** Like a startupProbe: liveness counts only once the worker has been ready since its last start. */
    private volatile boolean startedUp;

    WorkerProcess(int index, Path logDir, List<String> baseCommand) throws IOException {
        this.index = index;
        this.workerId = "pf-worker-" + index;
        this.httpPort = freePort();
        this.logDir = logDir;
        this.baseCommand = baseCommand;
    }

    synchronized void start() throws IOException {
        generation++;
        expectingExit = false;
        startedUp = false;
        List<String> command = new ArrayList<>(baseCommand);
        int jar = command.indexOf("-jar");
        command.addAll(jar, List.of("-Dfluxfleet.worker-id=" + workerId, "-Dquarkus.http.port=" + httpPort));
        process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log().toFile()).start();
        process.getOutputStream().close();
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL (a crash: no shutdown hook, nothing committed) and wait for the exit. */
    synchronized void sigkill() throws InterruptedException {
        if (isAlive()) {
            expectingExit = true;
            process.destroyForcibly();
            process.waitFor(20, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM (a rollout or scale-down) and wait up to {@code timeout}; the exit code, or -1 if still running. */
    int sigterm(Duration timeout) throws InterruptedException {
        Process p;
        synchronized (this) {
            if (!isAlive()) {
                return -1;
            }
            expectingExit = true;
            p = process;
            p.destroy();
        }
        return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
    }

    /** Restarts the worker if it died; records the exit when the suite did not cause it. True if restarted. */
    synchronized boolean restartIfDead() throws IOException {
        if (process == null || process.isAlive()) {
            return false;
        }
        if (!expectingExit) {
            unexpectedExits.add(process.exitValue());
        }
        start();
        return true;
    }

    synchronized List<Integer> unexpectedExits() {
        return List.copyOf(unexpectedExits);
    }

    boolean isReady() {
        boolean ready = probe("/q/health/ready") == 200;
        if (ready) {
            startedUp = true;
        }
        return ready;
    }

    /** Live, or still starting (Kubernetes' startupProbe holds liveness checks back until the first ready). */
    boolean isLive() {
        if (!startedUp && !isReady()) {
            return true;
        }
        int status = probe("/q/health/live");
        return status == 200 || status == -1;
    }

    private int probe(String path) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                    .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    synchronized Path log() {
        return logDir.resolve(workerId + "-" + generation + ".log");
    }

    String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log(), StandardCharsets.UTF_8);
            return "== " + log().getFileName() + " ==\n" + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log " + log() + ": " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }
}
