package io.fluxfleet.cli;

import io.fluxfleet.bench.StepBenchmark;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.tensor.Kernels;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "step", mixinStandardHelpOptions = true,
        description = "One transformer step of a reduced FLUX-shaped model vs one large matmul, same run.")
final class BenchStepCommand implements Callable<Integer> {

    @Mixin
    BenchModelOptions model;

    @Option(names = "--sizes", defaultValue = "512,1024", split = ",")
    int[] sizes;

    @Option(names = "--repeats", defaultValue = "2")
    int repeats;

    @Option(names = "--kernels", defaultValue = "FUSED,COMPOSED", split = ",")
    List<Kernels.Choice> kernels;

    @Override
    public Integer call() {
        FluxConfig config = model.config();
        StringBuilder md = new StringBuilder();
        md.append("| kernels | image | step s | GFLOP | GFLOP/s | matmul GFLOP/s | step/matmul | linear s | attention s | other kernels s | rest s |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Kernels.Choice choice : kernels) {
            for (StepBenchmark.Result r : new StepBenchmark(config, model.textTokens, repeats, choice).run(sizes,
                    System.err)) {
                double attention = r.kernelNanos().getOrDefault("attention", 0L) / 1e9;
                double otherKernels = r.kernelNanos().values().stream().mapToLong(Long::longValue).sum() / 1e9
                        - attention;
                double rest = r.seconds() - r.linearSeconds() - attention - otherKernels;
                md.append(String.format("| %s | %dx%d | %.3f | %.1f | %.1f | %.1f | %.0f%% | %.3f | %.3f | %.3f | %.3f |%n",
                        choice, r.side(), r.side(), r.seconds(), r.gflops(), r.gflopsPerSecond(),
                        r.matmulGflopsPerSecond(), 100 * r.ratio(), r.linearSeconds(), attention, otherKernels,
                        rest));
                md.append("|  | per op: ").append(r.kernelNanos().entrySet().stream()
                        .map(e -> String.format("%s %.3f s", e.getKey(), e.getValue() / 1e9))
                        .reduce((a, b) -> a + ", " + b).orElse("")).append(" | | | | | | | | | |\n");
            }
        }
        System.out.println("Model: " + config + ", " + model.textTokens + " text tokens, best of " + repeats
                + ", " + ai.djl.pytorch.jni.JniUtils.getNumThreads() + " torch threads\n");
        System.out.print(md);
        return 0;
    }
}
