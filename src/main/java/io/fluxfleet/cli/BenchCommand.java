package io.fluxfleet.cli;

import picocli.CommandLine.Command;

/** {@code fluxfleet bench ...}: benchmarks that print markdown tables (figures go to docs/). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Engine benchmarks (print markdown).",
        subcommands = {BenchStepCommand.class, BenchMemoryCommand.class, BenchSamplersCommand.class,
                BenchLoraCommand.class})
final class BenchCommand {
}
