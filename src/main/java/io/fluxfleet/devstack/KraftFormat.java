package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code kafka-storage format} of a KRaft node's log dir, run once before the node's first start.
 *
 * @param classpath the Kafka classpath, handed over in CLASSPATH as for the servers ({@link ServerProcess})
 * @param workDir   the working directory of the format run
 * @param timeout   how long the format run may take
 */
record KraftFormat(ChildJvm jvm, String classpath, Path workDir, Duration timeout) {

    /**
     * Formats {@code nodeDir/data} with {@code nodeDir/server.properties}, unless it was formatted before
     * (a reused log dir keeps its cluster id and data). The run's output goes to {@code formatLog}.
     */
    void formatIfNeeded(Path nodeDir, Path formatLog, String clusterId, List<String> extraArguments) throws IOException {
        if (Files.exists(nodeDir.resolve("data/meta.properties"))) {
            return;
        }
        List<String> command = new ArrayList<>(jvm.command(256,
                List.of("-Dlog4j2.configurationFile=" + nodeDir.resolve("log4j2.properties")),
                "kafka.tools.StorageTool", "format",
                "--cluster-id", clusterId,
                "--config", nodeDir.resolve("server.properties").toString()));
        command.addAll(extraArguments);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(formatLog.toFile()));
        builder.environment().put("CLASSPATH", classpath);
        Process format = builder.start();
        format.getOutputStream().close();
        try {
            if (!format.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                format.destroyForcibly();
                throw new IOException("formatting " + nodeDir + " did not finish within " + timeout.toSeconds()
                        + " s\n" + ServerProcess.tail(formatLog, 30));
            }
        } catch (InterruptedException e) {
            format.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while formatting " + nodeDir, e);
        }
        if (format.exitValue() != 0) {
            throw new IOException("formatting " + nodeDir + " failed (exit " + format.exitValue() + ")\n"
                    + ServerProcess.tail(formatLog, 30));
        }
    }
}
