package io.fluxfleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code fluxfleet} command. */
@Command(name = "fluxfleet", mixinStandardHelpOptions = true, version = "fluxfleet 0.1.0",
        description = "FLUX.1 text-to-image on the JVM: render, benchmark, tiny test checkpoints.",
        subcommands = {RenderCommand.class, BenchCommand.class, TinyCheckpointCommand.class,
                CommandLine.HelpCommand.class})
public final class FluxfleetCli {

    public static void main(String[] args) {
        System.setProperty("ai.djl.offline", "true"); // never download anything at run time
        System.exit(new CommandLine(new FluxfleetCli()).execute(args));
    }
}
