package io.fluxfleet.cli;

import io.fluxfleet.bench.LoraBenchmark;
import io.fluxfleet.bench.RandomAdapters;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "lora", mixinStandardHelpOptions = true,
        description = "LoRA cost per step (none, side path, merged copy) and adapter load time on the benchmark model.")
final class BenchLoraCommand implements Callable<Integer> {

    @Mixin
    BenchModelOptions model;

    @Option(names = "--size", defaultValue = "1024", description = "Image side in pixels")
    int size;

    @Option(names = "--ranks", defaultValue = "16,64", split = ",")
    int[] ranks;

    @Option(names = "--namings", defaultValue = "KOHYA,PEFT", split = ",")
    List<RandomAdapters.Naming> namings;

    @Option(names = "--rounds", defaultValue = "3")
    int rounds;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (fp16 transformer on CUDA)")
    String device;

    @Option(names = "--work", defaultValue = "target/bench-lora")
    Path work;

    @Override
    public Integer call() throws Exception {
        FluxConfig config = model.config();
        ComputePolicy policy = ComputePolicy.forDevice(ComputePolicy.parseDevice(device), Kernels.Choice.FUSED);
        var results = new LoraBenchmark(config, policy, size, model.textTokens, rounds)
                .run(ranks, namings, work, System.err);
        System.out.println("Model: " + config + ", " + size + "x" + size + ", " + model.textTokens + " text tokens, "
                + policy.device() + " " + policy.transformerType() + ", best of " + rounds + "\n");
        System.out.println("| rank | naming | file MB | read s | upload s | device MB | step none s | side path s"
                + " | overhead | merged s | merge s | merged copy MB |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (var r : results) {
            System.out.printf("| %d | %s | %.1f | %.3f | %.3f | %.1f | %.3f | %.3f | %+.1f%% | %.3f | %.3f | %.1f |%n",
                    r.rank(), r.naming(), r.fileBytes() / 1e6, r.readSeconds(), r.uploadSeconds(),
                    r.deviceBytes() / 1e6, r.baseStep(), r.sideStep(), 100 * r.sideOverhead(), r.mergedStep(),
                    r.mergeSeconds(), r.mergedExtraBytes() / 1e6);
        }
        return 0;
    }
}
