package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * One server running as a child JVM (its own classpath), with stdout and stderr appended to a log file.
 * It can be stopped and started again with the same command line, hence the same ports and data dirs.
 */
final class ServerProcess {

    private final String name;
    private final List<String> command;
    private final Path workingDir;
    private final Path logFile;
    private Process process;

    private final String classpath;

    /**
     * @param classpath handed over in the CLASSPATH variable, not with -cp: the JDK reads at most 4 KiB of a
     *                  process's command line, and {@code stop}/{@code status} must see the whole of it to
     *                  recognise the server.
     */
    ServerProcess(String name, List<String> command, String classpath, Path workingDir, Path logFile) {
        this.name = name;
        this.command = List.copyOf(command);
        this.classpath = classpath;
        this.workingDir = workingDir;
        this.logFile = logFile;
    }

    String name() {
        return name;
    }

    Path logFile() {
        return logFile;
    }

    synchronized void start() throws IOException {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running (pid " + process.pid() + ")");
        }
        Files.writeString(logFile, "==== fluxfleet LocalStack: starting " + name + " at " + Instant.now() + "\n",
                StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("CLASSPATH", classpath);
        process = builder
                .directory(workingDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        // The servers never read stdin; closing it means a detached server never waits on a dead parent's pipe.
        process.getOutputStream().close();
    }

    synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The pid of the running process, or -1. */
    synchronized long pid() {
        return isAlive() ? process.pid() : -1;
    }

    /** The exit code if the process has ended, empty while it runs or if it never started. */
    synchronized Optional<Integer> exitCode() {
        return process == null || process.isAlive() ? Optional.empty() : Optional.of(process.exitValue());
    }

    /** SIGTERM, wait up to {@code grace} for a clean exit, then SIGKILL. */
    synchronized void stop(Duration grace) {
        if (process != null) {
            terminate(process.toHandle(), grace);
        }
    }

    /** SIGKILL (a crash, not a shutdown), then waits until the process is gone. */
    void kill() {
        ProcessHandle.of(pid()).ifPresent(handle -> {
            handle.destroyForcibly();
            handle.onExit().orTimeout(10, TimeUnit.SECONDS).join();
        });
    }

    String logTail(int lines) {
        return tail(logFile, lines);
    }

    /** SIGTERM, wait up to {@code grace}, then SIGKILL and wait for the exit. Returns true if it exited on SIGTERM. */
    static boolean terminate(ProcessHandle handle, Duration grace) {
        if (!handle.isAlive()) {
            return true;
        }
        handle.destroy();
        if (awaitExit(handle, grace)) {
            return true;
        }
        handle.destroyForcibly();
        awaitExit(handle, Duration.ofSeconds(10));
        return false;
    }

    private static boolean awaitExit(ProcessHandle handle, Duration timeout) {
        try {
            handle.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return !handle.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !handle.isAlive();
        }
    }

    /** The last {@code lines} lines of a text file, or a note saying why there are none. */
    static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "(no file " + file + ")";
        }
        Deque<String> last = new ArrayDeque<>(lines);
        // Lenient decoding: a log may hold bytes that are not UTF-8.
        try (Stream<String> all = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).lines()) {
            all.forEach(line -> {
                if (last.size() == lines) {
                    last.removeFirst();
                }
                last.addLast(line);
            });
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
        return "---- last " + last.size() + " lines of " + file + " ----\n" + String.join("\n", last);
    }
}
