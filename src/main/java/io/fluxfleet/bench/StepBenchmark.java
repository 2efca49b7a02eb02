package io.fluxfleet.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.TimedKernels;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One transformer step of a FLUX-shaped model of reduced width and depth (same block types,
 * head width 128, MLP ratio 4, T5-width text input, 512 text tokens), timed on the CPU, with
 * its analytic GFLOP/s next to the GFLOP/s of one large matmul measured in the same run, and
 * a breakdown of where the step's time goes.
 */
public final class StepBenchmark {

    /** The engine's benchmark configuration: FLUX's block structure at reduced width and depth. */
    public static FluxConfig benchmarkConfig(int hidden, int doubleBlocks, int singleBlocks) {
        return new FluxConfig(64, hidden, hidden / 128, 4 * hidden, doubleBlocks, singleBlocks,
                new int[] {16, 56, 56}, 10000, 4096, 768, true);
    }

    public record Result(int side, double seconds, double gflops, double gflopsPerSecond, double matmulGflopsPerSecond,
            Map<String, Long> kernelNanos, double linearSeconds) {

        public double ratio() {
            return gflopsPerSecond / matmulGflopsPerSecond;
        }
    }

    private final FluxConfig config;
    private final int textTokens;
    private final int repeats;
    private final Kernels.Choice kernels;

    public StepBenchmark(FluxConfig config, int textTokens, int repeats, Kernels.Choice kernels) {
        this.config = config;
        this.textTokens = textTokens;
        this.repeats = repeats;
        this.kernels = kernels;
    }

    public List<Result> run(int[] sides, PrintStream log) {
        List<Result> results = new ArrayList<>();
        TimedKernels timed = new TimedKernels(Kernels.create(kernels));
        ComputePolicy policy = new ComputePolicy(Device.cpu(), DataType.FLOAT32, DataType.FLOAT32, DataType.FLOAT32,
                timed);
        log.printf("building random weights for %s (%.1fM parameters)%n", config,
                config.spec().parameterCount() / 1e6);
        try (FluxTransformer model = new FluxTransformer(Weights.fromHost(RandomWeights.generate(config.spec(), 1),
                Device.cpu(), DataType.FLOAT32), config, policy)) {
            for (int side : sides) {
                LatentGrid grid = LatentGrid.forImage(side, side);
                try (NDManager m = NDManager.newBaseManager()) {
                    FluxTransformer.Input in = input(m, grid);
                    model.forward(in).close(); // warm-up
                    timed.reset();
                    long best = Long.MAX_VALUE;
                    for (int i = 0; i < repeats; i++) {
                        long t = System.nanoTime();
                        model.forward(in).close();
                        best = Math.min(best, System.nanoTime() - t);
                    }
                    Map<String, Long> perStep = new java.util.TreeMap<>();
                    timed.nanosByOp().forEach((k, v) -> perStep.put(k, v / repeats));
                    double flops = FlopsModel.perCall(config, grid.tokens(), textTokens);
                    double seconds = best / 1e9;
                    double matmul = matmulGflopsPerSecond(m, grid.tokens() + textTokens);
                    double linear = linearSeconds(m, grid.tokens());
                    Result r = new Result(side, seconds, flops / 1e9, flops / 1e9 / seconds, matmul, perStep, linear);
                    results.add(r);
                    log.printf("%dx%d: step %.3f s, %.1f GFLOP, %.1f GFLOP/s; matmul %.1f GFLOP/s; ratio %.0f%%%n",
                            side, side, seconds, r.gflops(), r.gflopsPerSecond(), matmul, 100 * r.ratio());
                }
            }
        }
        return results;
    }

    private FluxTransformer.Input input(NDManager m, LatentGrid grid) {
        SeededStreams r = new SeededStreams(3);
        return new FluxTransformer.Input(r.normal("img", new Shape(1, grid.tokens(), 64), m), grid.ids(m),
                r.normal("txt", new Shape(1, textTokens, config.contextDim()), m), m.zeros(new Shape(1, textTokens, 3)),
                m.create(new float[] {0.6f}), r.normal("vec", new Shape(1, config.vecDim()), m),
                m.create(new float[] {3.5f}));
    }

    /** Best-of-3 rate of one [L, H] x [H, 4H] matmul: the MLP's shape, the largest the step runs. */
    private double matmulGflopsPerSecond(NDManager m, long rows) {
        long h = config.hidden();
        NDArray a = m.randomNormal(new Shape(rows, h));
        NDArray b = m.randomNormal(new Shape(h, 4 * h));
        a.matMul(b).close();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t = System.nanoTime();
            a.matMul(b).close();
            best = Math.min(best, System.nanoTime() - t);
        }
        return 2.0 * rows * h * 4 * h / best;
    }

    /** Time of every Linear of one step, run in isolation with the same shapes (best of 2). */
    private double linearSeconds(NDManager m, long imageTokens) {
        long h = config.hidden();
        long mlp = config.mlpHidden();
        long t = textTokens;
        long l = imageTokens + t;
        List<long[]> shapes = new ArrayList<>(); // {rows, in, out, count}
        shapes.add(new long[] {imageTokens, config.inChannels(), h, 1});
        shapes.add(new long[] {t, config.contextDim(), h, 1});
        shapes.add(new long[] {imageTokens, h, config.inChannels(), 1});
        for (long rows : new long[] {imageTokens, t}) {
            shapes.add(new long[] {rows, h, 3 * h, config.doubleBlocks()});
            shapes.add(new long[] {rows, h, h, config.doubleBlocks()});
            shapes.add(new long[] {rows, h, mlp, config.doubleBlocks()});
            shapes.add(new long[] {rows, mlp, h, config.doubleBlocks()});
        }
        shapes.add(new long[] {l, h, 3 * h + mlp, config.singleBlocks()});
        shapes.add(new long[] {l, h + mlp, h, config.singleBlocks()});
        double total = 0;
        for (long[] s : shapes) {
            if (s[3] == 0) {
                continue;
            }
            try (NDManager scope = m.newSubManager()) {
                NDArray x = scope.randomNormal(new Shape(s[0], s[1]));
                NDArray w = scope.randomNormal(new Shape(s[2], s[1]));
                NDArray bias = scope.randomNormal(new Shape(s[2]));
                long best = Long.MAX_VALUE;
                for (int i = 0; i < 2; i++) {
                    long t0 = System.nanoTime();
                    ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow().close();
                    best = Math.min(best, System.nanoTime() - t0);
                }
                total += best / 1e9 * s[3];
            }
        }
        return total;
    }
}
