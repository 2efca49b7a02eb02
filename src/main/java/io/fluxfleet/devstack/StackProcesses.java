package io.fluxfleet.devstack;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the server JVMs of a {@link LocalStack} work directory by the marker on their command line, so that
 * {@code stop} only kills servers of that directory, even if a pid was reused.
 */
final class StackProcesses {

    private static final String WORK_DIR_MARKER = "-Dfluxfleet.localstack.dir=";

    private StackProcesses() {
    }

    /** The marker option of the servers of {@code workDir}. */
    static String marker(Path workDir) {
        return WORK_DIR_MARKER + workDir;
    }

    /** Live Kafka/S3Proxy processes started by a LocalStack on {@code dir}. */
    static List<ProcessHandle> serversOf(Path dir) {
        String marker = marker(dir);
        return ProcessHandle.allProcesses()
                .filter(handle -> handle.info().arguments().map(List::of).map(args -> args.contains(marker)).orElse(false))
                .toList();
    }

    /** The process behind a pid in stack.env, only if it is still that server of that work directory. */
    static Optional<ProcessHandle> runningServer(Map<String, String> env, DetachedServer server, Path dir) {
        String pid = env.get(server.pidKey());
        if (pid == null || !pid.matches("\\d+")) {
            return Optional.empty();
        }
        return ProcessHandle.of(Long.parseLong(pid))
                .filter(ProcessHandle::isAlive)
                .filter(handle -> handle.info().arguments()
                        .map(List::of)
                        .map(arguments -> arguments.contains(server.mainClass()) && arguments.contains(marker(dir)))
                        .orElse(false));
    }
}
