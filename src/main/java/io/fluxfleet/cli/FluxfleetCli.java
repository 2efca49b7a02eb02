package io.fluxfleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code fluxfleet} command. */
@Command(name = "fluxfleet", mixinStandardHelpOptions = true, version = "fluxfleet 0.1.0",
        description = "FLUX.1 text-to-image on the JVM: render, benchmark, tiny test checkpoints, submit jobs to the fleet.",
        subcommands = {RenderCommand.class, BenchCommand.class, TinyCheckpointCommand.class, SubmitCommand.class,
                CommandLine.HelpCommand.class})
public final class FluxfleetCli {

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true"); // never download anything at run time
        // The worker's Quarkus logging (JBoss LogManager) is on the classpath too: install it as the JUL
        // manager before anything logs, or it complains on stderr when the JDK first asks for a logger.
        System.setProperty("java.util.logging.manager", "org.jboss.logmanager.LogManager");
        System.exit(new CommandLine(new FluxfleetCli()).execute(args));
    }
}
