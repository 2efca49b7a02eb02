package io.fluxfleet.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.lora.AdapterConfig;
import io.fluxfleet.flux.lora.DeviceAdapter;
import io.fluxfleet.flux.lora.LoraAdapter;
import io.fluxfleet.flux.lora.LoraReader;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.flux.transformer.LowRankUpdate;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.tensor.ComputePolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a LoRA costs per step on the benchmark model: one transformer call with no adapter, with
 * an adapter on every Linear as a side path (kohya and PEFT naming), and with the adapter merged
 * into a copy of the weights; plus the time to read, map and upload the adapter. Rounds are
 * interleaved and the fastest of each is kept, so load drift hits all variants alike.
 */
public final class LoraBenchmark {

    /** One adapter's figures; times in seconds. */
    public record Result(int rank, RandomAdapters.Naming naming, long fileBytes, double readSeconds,
            double uploadSeconds, long deviceBytes, double baseStep, double sideStep, double mergedStep,
            double mergeSeconds, long mergedExtraBytes) {

        public double sideOverhead() {
            return sideStep / baseStep - 1;
        }

        public double mergedOverhead() {
            return mergedStep / baseStep - 1;
        }
    }

    private final FluxConfig config;
    private final ComputePolicy policy;
    private final int side;
    private final int textTokens;
    private final int rounds;

    public LoraBenchmark(FluxConfig config, ComputePolicy policy, int side, int textTokens, int rounds) {
        this.config = config;
        this.policy = policy;
        this.side = side;
        this.textTokens = textTokens;
        this.rounds = rounds;
    }

    public List<Result> run(int[] ranks, List<RandomAdapters.Naming> namings, Path work, PrintStream log)
            throws IOException {
        Files.createDirectories(work);
        List<Result> results = new ArrayList<>();
        LoraReader reader = new LoraReader(config);
        Weights base = Weights.fromHost(RandomWeights.generate(config.spec(), 1), policy.device(),
                policy.transformerType());
        try (FluxTransformer model = new FluxTransformer(base, config, policy);
                NDManager m = NDManager.newBaseManager(policy.device())) {
            FluxTransformer.Input in = input(m);
            for (int rank : ranks) {
                for (RandomAdapters.Naming naming : namings) {
                    Path file = work.resolve("lora-r" + rank + "-" + naming + ".safetensors");
                    RandomAdapters.write(file, config, rank, naming, rank);
                    long t0 = System.nanoTime();
                    LoraAdapter adapter = reader.read(file.getFileName().toString(), file, AdapterConfig.NONE);
                    long t1 = System.nanoTime();
                    try (DeviceAdapter device = DeviceAdapter.upload(adapter, policy.device(),
                            policy.transformerType())) {
                        long t2 = System.nanoTime();
                        long t3 = System.nanoTime();
                        try (FluxTransformer merged = new FluxTransformer(merge(base, device,
                                NDManager.newBaseManager(policy.device())), config, policy)) {
                            long t4 = System.nanoTime();
                            long extra = device.updates().keySet().stream()
                                    .mapToLong(l -> base.get(l + ".weight").size()).sum()
                                    * policy.transformerType().getNumOfBytes();
                            double[] best = time(model, merged, device, in);
                            Result r = new Result(rank, naming, Files.size(file), (t1 - t0) / 1e9, (t2 - t1) / 1e9,
                                    device.bytes(), best[0], best[1], best[2], (t4 - t3) / 1e9, extra);
                            results.add(r);
                            log.printf("rank %d %s: base %.3f s, side path %.3f s (%+.1f%%), merged %.3f s%n", rank,
                                    naming, r.baseStep(), r.sideStep(), 100 * r.sideOverhead(), r.mergedStep());
                        }
                    }
                }
            }
        }
        return results;
    }

    /** Best of the rounds for {none, side path, merged}. */
    private double[] time(FluxTransformer model, FluxTransformer merged, DeviceAdapter adapter,
            FluxTransformer.Input in) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        List<ActiveAdapters.Applied> applied = List.of(new ActiveAdapters.Applied(adapter.updates(), 1f));
        step(model, in); // warm-up
        for (int i = 0; i < rounds; i++) {
            best[0] = Math.min(best[0], step(model, in));
            try (ActiveAdapters.Binding b = model.adapters().bind(applied)) {
                best[1] = Math.min(best[1], step(model, in));
            }
            best[2] = Math.min(best[2], step(merged, in));
        }
        return best;
    }

    private static double step(FluxTransformer t, FluxTransformer.Input in) {
        long start = System.nanoTime();
        NDArray out = t.forward(in);
        out.toFloatArray(); // waits for the device
        out.close();
        return (System.nanoTime() - start) / 1e9;
    }

    /**
     * The merge option: W + B A for every adapted layer, in a copy owned by {@code manager}; the
     * other tensors are shared with the base weights.
     */
    static Weights merge(Weights base, DeviceAdapter adapter, NDManager manager) {
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String name : base.names()) {
            tensors.put(name, base.get(name));
        }
        for (Map.Entry<String, LowRankUpdate> e : adapter.updates().entrySet()) {
            LowRankUpdate u = e.getValue();
            NDArray w = base.get(e.getKey() + ".weight");
            NDArray delta = u.up().matMul(u.down());
            NDArray merged = w.add(delta);
            delta.close();
            merged.attach(manager);
            tensors.put(e.getKey() + ".weight", merged);
        }
        return new Weights(tensors, manager);
    }

    private FluxTransformer.Input input(NDManager m) {
        LatentGrid grid = LatentGrid.forImage(side, side);
        SeededStreams r = new SeededStreams(3);
        return new FluxTransformer.Input(r.normal("img", new Shape(1, grid.tokens(), 64), m), grid.ids(m),
                r.normal("txt", new Shape(1, textTokens, config.contextDim()), m), m.zeros(new Shape(1, textTokens, 3)),
                m.create(new float[] {0.6f}), r.normal("vec", new Shape(1, config.vecDim()), m),
                m.create(new float[] {3.5f}));
    }
}
