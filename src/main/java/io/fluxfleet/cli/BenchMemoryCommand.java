package io.fluxfleet.cli;

import ai.djl.ndarray.types.DataType;
import io.fluxfleet.bench.MemoryProbe;
import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "memory", mixinStandardHelpOptions = true,
        description = "Resident memory of loading weights (memory-mapped) and of a tiny render.")
final class BenchMemoryCommand implements Callable<Integer> {

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
