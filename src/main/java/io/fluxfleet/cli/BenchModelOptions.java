package io.fluxfleet.cli;

import io.fluxfleet.bench.StepBenchmark;
import io.fluxfleet.flux.transformer.FluxConfig;
import picocli.CommandLine.Option;

/** The benchmark model every bench subcommand builds: FLUX's layout at a reduced width and depth. */
final class BenchModelOptions {

    @Option(names = "--hidden", defaultValue = "1024", description = "Width (multiple of 128; FLUX: 3072)")
    int hidden;

    @Option(names = "--double", defaultValue = "1", description = "Double-stream blocks (FLUX: 19)")
    int doubleBlocks;

    @Option(names = "--single", defaultValue = "2", description = "Single-stream blocks (FLUX: 38)")
    int singleBlocks;

    @Option(names = "--text-tokens", defaultValue = "512", description = "T5 tokens (dev: 512, schnell: 256)")
    int textTokens;

    FluxConfig config() {
        return StepBenchmark.benchmarkConfig(hidden, doubleBlocks, singleBlocks);
    }
}
