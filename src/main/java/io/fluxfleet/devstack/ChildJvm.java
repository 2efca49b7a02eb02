package io.fluxfleet.devstack;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command line of a server's own JVM.
 *
 * @param marker a {@code -D} option naming the work directory, so that a later {@code stop} only kills
 *               servers of that directory, even if a pid was reused
 */
record ChildJvm(String marker) {

    List<String> command(int heapMb, List<String> options, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx" + heapMb + "m",
                // Small shared machines: a serial GC and C1 only start faster and use less CPU than the defaults.
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Djava.awt.headless=true",
                marker));
        command.addAll(options);
        command.add(mainClass);
        command.addAll(List.of(args));
        return command;
    }
}
