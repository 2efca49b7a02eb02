package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The command line of {@link LocalStack} ({@code deploy/stack.sh}): {@code start <dir>} starts both servers,
 * writes {@code <dir>/stack.env} and exits leaving them running; {@code stop <dir>} stops the servers named in
 * {@code stack.env}; {@code status <dir>} reports them.
 */
final class StackCommand {

    private StackCommand() {
    }

    /** Exits 0 on success, 1 on failure, 2 for a usage error, 3 from {@code status} when not (all) running. */
    static void main(String[] args) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: LocalStack start|stop|status [dir]   (dir defaults to .stack)");
            System.exit(2);
        }
        Path dir = Path.of(args.length == 2 ? args[1] : ".stack").toAbsolutePath().normalize();
        try {
            int exitCode = switch (args[0]) {
                case "start" -> start(dir);
                case "stop" -> stop(dir);
                case "status" -> status(dir);
                default -> {
                    System.err.println("unknown command '" + args[0] + "'; expected start, stop or status");
                    yield 2;
                }
            };
            System.exit(exitCode);
        } catch (IOException | RuntimeException e) {
            System.err.println("LocalStack " + args[0] + " failed: " + e.getMessage());
            System.exit(1);
        }
    }

    private static int start(Path dir) throws IOException {
        Map<String, String> existing = StackEnvFile.read(dir);
        if (!existing.isEmpty()) {
            boolean kafkaUp = StackProcesses.runningServer(existing, DetachedServer.KAFKA, dir).isPresent();
            boolean s3Up = StackProcesses.runningServer(existing, DetachedServer.S3, dir).isPresent();
            if (kafkaUp && s3Up) {
                System.out.println("already running; " + StackEnvFile.of(dir) + ":");
                existing.forEach((key, value) -> System.out.println("  " + key + "=" + value));
                return 0;
            }
            if (kafkaUp || s3Up) {
                System.err.println("only part of the stack in " + dir + " is running; run 'stop " + dir + "' first");
                return 1;
            }
        }
        int partitions = Integer.getInteger("fluxfleet.stack.partitions", 1);
        long startedAt = System.nanoTime();
        LocalStack stack = LocalStack.start(dir, LocalStack.Settings.defaults().withDefaultPartitions(partitions));
        Map<String, String> env = new LinkedHashMap<>();
        env.put(DetachedServer.KAFKA.addressKey(), stack.bootstrapServers());
        env.put(DetachedServer.S3.addressKey(), stack.s3Endpoint());
        env.put("FLUXFLEET_S3_ACCESS_KEY", stack.accessKey());
        env.put("FLUXFLEET_S3_SECRET_KEY", stack.secretKey());
        env.put("FLUXFLEET_S3_REGION", LocalStack.S3_REGION);
        env.put(DetachedServer.KAFKA.pidKey(), String.valueOf(stack.kafkaPid()));
        env.put(DetachedServer.S3.pidKey(), String.valueOf(stack.s3Pid()));
        env.put("FLUXFLEET_STACK_DIR", dir.toString());
        StackEnvFile.write(dir, env);
        stack.detach();
        Path envFile = StackEnvFile.of(dir);
        System.out.printf("local stack up in %.1f s%n", (System.nanoTime() - startedAt) / 1e9);
        System.out.println("  Kafka   " + stack.bootstrapServers() + "   pid " + stack.kafkaPid() + "   log " + stack.kafkaLog());
        System.out.println("  S3      " + stack.s3Endpoint() + "   pid " + stack.s3Pid() + "   log " + stack.s3Log());
        System.out.println("  env     " + envFile + "   (source it: set -a; . " + envFile + "; set +a)");
        return 0;
    }

    private static int stop(Path dir) throws IOException {
        Map<String, String> env = StackEnvFile.read(dir);
        if (env.isEmpty()) {
            System.out.println("nothing to stop: no " + StackEnvFile.of(dir));
            return 0;
        }
        Duration grace = LocalStack.Settings.defaults().stopTimeout();
        stopServer(env, DetachedServer.S3, dir, grace);
        stopServer(env, DetachedServer.KAFKA, dir, grace);
        Files.deleteIfExists(StackEnvFile.of(dir));
        System.out.println("stopped; data and logs stay in " + dir);
        return 0;
    }

    private static void stopServer(Map<String, String> env, DetachedServer server, Path dir, Duration grace) {
        Optional<ProcessHandle> running = StackProcesses.runningServer(env, server, dir);
        if (running.isEmpty()) {
            System.out.println("  " + server.name() + ": not running (pid " + env.getOrDefault(server.pidKey(), "?") + ")");
            return;
        }
        boolean clean = ServerProcess.terminate(running.get(), grace);
        System.out.println("  " + server.name() + ": pid " + running.get().pid()
                + (clean ? " stopped" : " killed after " + grace.toSeconds() + " s"));
    }

    private static int status(Path dir) throws IOException {
        Map<String, String> env = StackEnvFile.read(dir);
        if (env.isEmpty()) {
            System.out.println("not running: no " + StackEnvFile.of(dir));
            return 3;
        }
        boolean kafkaUp = reportServer(env, DetachedServer.KAFKA, dir);
        boolean s3Up = reportServer(env, DetachedServer.S3, dir);
        System.out.println("  env     " + StackEnvFile.of(dir));
        return kafkaUp && s3Up ? 0 : 3;
    }

    private static boolean reportServer(Map<String, String> env, DetachedServer server, Path dir) {
        boolean alive = StackProcesses.runningServer(env, server, dir).isPresent();
        String address = env.get(server.addressKey());
        int port = address == null ? -1 : Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
        boolean listening = port > 0 && Loopback.isListening(port);
        System.out.println("  " + server.label() + " " + address + "   pid " + env.get(server.pidKey()) + " "
                + (alive ? "running" : "NOT running") + ", port " + (listening ? "listening" : "NOT listening"));
        return alive && listening;
    }
}
