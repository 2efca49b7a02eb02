package io.fluxfleet.cli;

import ai.djl.ndarray.types.DataType;
import io.fluxfleet.bench.MemoryProbe;
import io.fluxfleet.bench.StepBenchmark;
import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Engine benchmarks (print markdown).",
        subcommands = {BenchCommand.Step.class, BenchCommand.Memory.class, BenchCommand.Samplers.class,
                BenchCommand.Lora.class})
final class BenchCommand {

    @Command(name = "step", mixinStandardHelpOptions = true,
            description = "One transformer step of a reduced FLUX-shaped model vs one large matmul, same run.")
    static final class Step implements Callable<Integer> {

        @Option(names = "--hidden", defaultValue = "1024", description = "Width (multiple of 128; FLUX: 3072)")
        int hidden;

        @Option(names = "--double", defaultValue = "1", description = "Double-stream blocks (FLUX: 19)")
        int doubleBlocks;

        @Option(names = "--single", defaultValue = "2", description = "Single-stream blocks (FLUX: 38)")
        int singleBlocks;

        @Option(names = "--sizes", defaultValue = "512,1024", split = ",")
        int[] sizes;

        @Option(names = "--text-tokens", defaultValue = "512")
        int textTokens;

        @Option(names = "--repeats", defaultValue = "2")
        int repeats;

        @Option(names = "--kernels", defaultValue = "FUSED,COMPOSED", split = ",")
        List<Kernels.Choice> kernels;

        @Override
        public Integer call() {
            FluxConfig config = StepBenchmark.benchmarkConfig(hidden, doubleBlocks, singleBlocks);
            StringBuilder md = new StringBuilder();
            md.append("| kernels | image | step s | GFLOP | GFLOP/s | matmul GFLOP/s | step/matmul | linear s | attention s | other kernels s | rest s |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Kernels.Choice choice : kernels) {
                for (StepBenchmark.Result r : new StepBenchmark(config, textTokens, repeats, choice).run(sizes,
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
            System.out.println("Model: " + config + ", " + textTokens + " text tokens, best of " + repeats
                    + ", " + ai.djl.pytorch.jni.JniUtils.getNumThreads() + " torch threads\n");
            System.out.print(md);
            return 0;
        }
    }

    @Command(name = "lora", mixinStandardHelpOptions = true,
            description = "LoRA cost per step (none, side path, merged copy) and adapter load time on the benchmark model.")
    static final class Lora implements Callable<Integer> {

        @Option(names = "--hidden", defaultValue = "1024", description = "Width (multiple of 128; FLUX: 3072)")
        int hidden;

        @Option(names = "--double", defaultValue = "1", description = "Double-stream blocks (FLUX: 19)")
        int doubleBlocks;

        @Option(names = "--single", defaultValue = "2", description = "Single-stream blocks (FLUX: 38)")
        int singleBlocks;

        @Option(names = "--size", defaultValue = "1024", description = "Image side in pixels")
        int size;

        @Option(names = "--text-tokens", defaultValue = "512")
        int textTokens;

        @Option(names = "--ranks", defaultValue = "16,64", split = ",")
        int[] ranks;

        @Option(names = "--namings", defaultValue = "KOHYA,PEFT", split = ",")
        List<io.fluxfleet.bench.RandomAdapters.Naming> namings;

        @Option(names = "--rounds", defaultValue = "3")
        int rounds;

        @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (fp16 transformer on CUDA)")
        String device;

        @Option(names = "--work", defaultValue = "target/bench-lora")
        java.nio.file.Path work;

        @Override
        public Integer call() throws Exception {
            FluxConfig config = StepBenchmark.benchmarkConfig(hidden, doubleBlocks, singleBlocks);
            io.fluxfleet.tensor.ComputePolicy policy = io.fluxfleet.tensor.ComputePolicy.forDevice(
                    io.fluxfleet.tensor.ComputePolicy.parseDevice(device), Kernels.Choice.FUSED);
            var results = new io.fluxfleet.bench.LoraBenchmark(config, policy, size, textTokens, rounds)
                    .run(ranks, namings, work, System.err);
            System.out.println("Model: " + config + ", " + size + "x" + size + ", " + textTokens + " text tokens, "
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

    @Command(name = "samplers", mixinStandardHelpOptions = true,
            description = "Same seeds with the 50-step baseline and the spatial samplers, side by side in one run: "
                    + "a markdown table on stdout and a labelled PNG sheet.")
    static final class Samplers implements Callable<Integer> {

        @Option(names = "--hidden", defaultValue = "1024")
        int hidden;

        @Option(names = "--double", defaultValue = "1")
        int doubleBlocks;

        @Option(names = "--single", defaultValue = "2")
        int singleBlocks;

        @Option(names = "--size", defaultValue = "1024")
        int size;

        @Option(names = "--seeds", defaultValue = "42", split = ",")
        List<Long> seeds;

        @Option(names = "--samplers", defaultValue = "none,jit-4x,jit-7x,ralu-5x,ralu-7x", split = ",")
        List<String> samplers;

        @Option(names = "--sheet", description = "Write the side-by-side PNG here (decodes with an untrained VAE)")
        Path sheet;

        @Option(names = "--rounds", defaultValue = "1",
                description = "Run every sampler this many times, interleaved, keeping each one's fastest run")
        int rounds;

        @Override
        public Integer call() throws Exception {
            FluxConfig config = StepBenchmark.benchmarkConfig(hidden, doubleBlocks, singleBlocks);
            List<io.fluxfleet.sampling.Sampler> list = samplers.stream()
                    .map(n -> io.fluxfleet.sampling.SamplerPresets.create(n, false, null)).toList();
            io.fluxfleet.bench.SamplerBenchmark bench = new io.fluxfleet.bench.SamplerBenchmark(config, 512);
            io.fluxfleet.flux.vae.VaeConfig vaeConfig = io.fluxfleet.flux.TinyCheckpoint.vaeConfig();
            List<List<io.fluxfleet.bench.ContactSheet.Tile>> sheetRows = new java.util.ArrayList<>();
            StringBuilder md = new StringBuilder();
            md.append("| seed | sampler | model calls | token evaluations | wall s | wall speedup | FLOPs speedup "
                    + "| outside transformer | PSNR dB | SSIM | latent rel. L2 |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            // always a VAE: RALU's default edge score decodes its mid-sampling estimate
            try (io.fluxfleet.flux.vae.VaeDecoder vae = new io.fluxfleet.flux.vae.VaeDecoder(
                    vaeConfig, Weights.fromHost(io.fluxfleet.flux.checkpoint.RandomWeights.generate(vaeConfig.spec(), 4),
                            ai.djl.Device.cpu(), DataType.FLOAT32), ComputePolicy.cpu())) {
                for (long seed : seeds) {
                    List<io.fluxfleet.bench.SamplerBenchmark.Row> rows = bench.run(size, seed, list, vae, rounds, System.err);
                    io.fluxfleet.bench.SamplerBenchmark.Row base = rows.get(0);
                    List<io.fluxfleet.bench.ContactSheet.Tile> tiles = new java.util.ArrayList<>();
                    for (io.fluxfleet.bench.SamplerBenchmark.Row r : rows) {
                        String psnr = "-";
                        String ssim = "-";
                        if (r.image() != null && r != base) {
                            psnr = String.format("%.2f", io.fluxfleet.bench.ImageMetrics.psnr(r.image(), base.image()));
                            ssim = String.format("%.3f", io.fluxfleet.bench.ImageMetrics.ssim(r.image(), base.image()));
                        }
                        md.append(String.format("| %d | %s | %d | %d | %.1f | %.2fx | %.2fx | %.1f%% | %s | %s | %.3f |%n",
                                seed, r.sampler(), r.steps(), r.tokenEvaluations(), r.seconds(),
                                base.seconds() / r.seconds(), r.flopsSpeedup(), 100 * r.outsideShare(), psnr, ssim,
                                io.fluxfleet.bench.SamplerBenchmark.relativeL2(r.latent(), base.latent())));
                        if (r.image() != null) {
                            tiles.add(new io.fluxfleet.bench.ContactSheet.Tile(r.image(), r.sampler() + " (seed " + seed + ")",
                                    String.format("%.1f s, %.2fx wall, %.2fx FLOPs", r.seconds(),
                                            base.seconds() / r.seconds(), r.flopsSpeedup())));
                        }
                    }
                    sheetRows.add(tiles);
                }
            }
            System.out.println("Model: " + config + ", 512 text tokens, " + size + "x" + size
                    + "; PSNR/SSIM/L2 against the 'none' row of the same seed\n");
            System.out.print(md);
            if (sheet != null) {
                Files.createDirectories(sheet.toAbsolutePath().getParent());
                javax.imageio.ImageIO.write(io.fluxfleet.bench.ContactSheet.render(
                        "Same seed, same conditioning, untrained FLUX-shaped model (" + size + "x" + size + ")",
                        sheetRows, 256), "png", sheet.toFile());
                System.out.println("\nsheet: " + sheet.toAbsolutePath());
            }
            return 0;
        }
    }

    @Command(name = "memory", mixinStandardHelpOptions = true,
            description = "Resident memory of loading weights (memory-mapped) and of a tiny render.")
    static final class Memory implements Callable<Integer> {

        @Option(names = "--model", required = true, description = "Tiny (or any) model directory to render with")
        Path model;

        @Option(names = "--load-mb", defaultValue = "1024", description = "Size of the synthetic fp32 weights file")
        int loadMb;

        @Option(names = "--work", defaultValue = "target/bench-memory")
        Path work;

        @Override
        public Integer call() throws Exception {
            Files.createDirectories(work);
            // A synthetic checkpoint of loadMb MiB in 64 MiB fp32 tensors, written in a fresh file.
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            WeightSpec spec = new WeightSpec();
            int perTensor = 16 << 20; // floats = 64 MiB
            for (int i = 0; i < loadMb / 64; i++) {
                float[] d = new float[perTensor];
                java.util.Arrays.fill(d, i);
                tensors.put("w" + i, new HostTensor(new long[] {4096, perTensor / 4096}, d));
                spec.add("w" + i, 4096, perTensor / 4096);
            }
            Path file = work.resolve("synthetic.safetensors");
            SafetensorsWriter.write(file, tensors, StoredType.F32);
            tensors.clear();
            long fileBytes = Files.size(file);
            System.gc();

            try (ai.djl.ndarray.NDManager warm = ai.djl.ndarray.NDManager.newBaseManager()) {
                warm.ones(new ai.djl.ndarray.types.Shape(1)).close(); // engine loaded before the baseline
            }
            boolean reset = MemoryProbe.resetPeak();
            long before = MemoryProbe.rssBytes();
            long t = System.nanoTime();
            try (SafetensorsFile src = SafetensorsFile.open(file);
                    Weights w = WeightLoader.load(src, spec, Layout.CANONICAL, "synthetic", ai.djl.Device.cpu(),
                            DataType.FLOAT32)) {
                long loadMs = (System.nanoTime() - t) / 1_000_000;
                long after = MemoryProbe.rssBytes();
                long peak = MemoryProbe.peakRssBytes();
                System.out.println("| measurement | MiB |\n|---|---|");
                System.out.printf("| synthetic fp32 weights file | %d |%n", fileBytes >> 20);
                System.out.printf("| RSS before load | %d |%n", before >> 20);
                System.out.printf("| RSS after load (weights held) | %d (+%d) |%n", after >> 20, (after - before) >> 20);
                System.out.printf("| peak RSS during load%s | %d (+%d) |%n", reset ? "" : " (process peak: reset not allowed)",
                        peak >> 20, (peak - before) >> 20);
                System.out.printf("| load time | %d ms (%.0f MiB/s) |%n", loadMs, (fileBytes >> 20) * 1000.0 / loadMs);
            }
            Files.deleteIfExists(file);
            System.gc();

            MemoryProbe.resetPeak();
            long base = MemoryProbe.rssBytes();
            FluxModelDirectory dir = FluxModelDirectory.open(model);
            try (FluxPipeline p = FluxPipeline.load(dir, ComputePolicy.cpu())) {
                long loaded = MemoryProbe.peakRssBytes();
                RenderResult r = p.render(new RenderRequest("a lighthouse at dusk", 256, 256, 1, 3.5f),
                        p.defaultSampler(20), StepObserver.NONE);
                long rendered = MemoryProbe.peakRssBytes();
                System.out.printf("| RSS before tiny model load | %d |%n", base >> 20);
                System.out.printf("| peak RSS after tiny model load | %d (+%d) |%n", loaded >> 20, (loaded - base) >> 20);
                System.out.printf("| peak RSS after tiny 256x256 render (20 steps, %d ms) | %d (+%d) |%n",
                        r.timings().totalMs(), rendered >> 20, (rendered - base) >> 20);
            }
            return 0;
        }
    }
}
