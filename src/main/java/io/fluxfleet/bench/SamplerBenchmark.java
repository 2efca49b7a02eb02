package io.fluxfleet.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.FluxDenoiser;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.FlopsModel;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.sampling.DenoisingModel;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the same seed and conditioning with several samplers on one transformer, side by side
 * in one run: wall time, time inside the transformer, token evaluations, analytic FLOPs, and the
 * final latent (to compare samplers with the baseline).
 */
public final class SamplerBenchmark {

    /**
     * @param cpuSeconds the process's CPU time over the render (all threads, torch's included): unlike
     *                   wall time it barely moves when other processes share the cores
     */
    public record Row(String sampler, long seed, int steps, double seconds, double cpuSeconds, double modelSeconds,
            long tokenEvaluations, double flopsSpeedup, float[] latent, java.awt.image.BufferedImage image) {

        public double outsideShare() {
            return 1 - modelSeconds / seconds;
        }

        Row withImage(java.awt.image.BufferedImage decoded) {
            return new Row(sampler, seed, steps, seconds, cpuSeconds, modelSeconds, tokenEvaluations, flopsSpeedup,
                    latent, decoded);
        }
    }

    private final FluxConfig config;
    private final int textTokens;

    public SamplerBenchmark(FluxConfig config, int textTokens) {
        this.config = config;
        this.textTokens = textTokens;
    }

    /** Times the model calls a sampler makes; everything else is the sampler's own work. */
    private static final class TimedModel implements DenoisingModel {
        private final DenoisingModel inner;
        long nanos;

        TimedModel(DenoisingModel inner) {
            this.inner = inner;
        }

        @Override
        public NDArray velocity(NDArray tokens, NDArray ids, float sigma) {
            long t = System.nanoTime();
            NDArray v = inner.velocity(tokens, ids, sigma);
            nanos += System.nanoTime() - t;
            return v;
        }

        @Override
        public long tokenEvaluations() {
            return inner.tokenEvaluations();
        }
    }

    /**
     * @param vae decodes each final latent to an image for pixel-space comparison; null to skip
     */
    public List<Row> run(int side, long seed, List<Sampler> samplers, io.fluxfleet.flux.vae.VaeDecoder vae,
            PrintStream log) {
        return run(side, seed, samplers, vae, 1, log);
    }

    /**
     * @param rounds each sampler runs this many times, interleaved (all samplers once, then
     *     again), and keeps its fastest run: load changes on a shared machine then hit every
     *     sampler alike instead of whichever ran at the wrong moment
     */
    public List<Row> run(int side, long seed, List<Sampler> samplers, io.fluxfleet.flux.vae.VaeDecoder vae,
            int rounds, PrintStream log) {
        LatentGrid grid = LatentGrid.forImage(side, side);
        ComputePolicy policy = ComputePolicy.forDevice(Device.cpu(), Kernels.Choice.FUSED);
        List<Row> rows = new ArrayList<>();
        log.printf("random weights for %s (%.1fM parameters)%n", config, config.spec().parameterCount() / 1e6);
        try (FluxTransformer transformer = new FluxTransformer(Weights.fromHost(
                RandomWeights.generate(config.spec(), 1), Device.cpu(), DataType.FLOAT32), config, policy);
                NDManager m = NDManager.newBaseManager()) {
            SeededStreams cond = new SeededStreams(seed);
            NDArray txt = cond.normal("text", new Shape(1, textTokens, config.contextDim()), m);
            NDArray pooled = cond.normal("pooled", new Shape(1, config.vecDim()), m);
            Row[] best = new Row[samplers.size()];
            for (int round = 0; round < rounds; round++) {
            for (int si = 0; si < samplers.size(); si++) {
                Sampler sampler = samplers.get(si);
                try (NDManager job = m.newSubManager()) {
                    SeededStreams random = new SeededStreams(seed);
                    NDArray noise = grid.pack(random.normal(FluxPipeline.NOISE_STREAM,
                            new Shape(1, 16, 2L * grid.rows(), 2L * grid.cols()), job));
                    TimedModel model = new TimedModel(new FluxDenoiser(transformer, txt, pooled, 3.5f));
                    StepObserver progress = (step, total, sigma, evals) -> log.printf("\r%s %d/%d", sampler.name(),
                            step, total);
                    long t = System.nanoTime();
                    long cpu = processCpuNanos();
                    SamplingResult r = sampler.sample(new SamplingContext(model, grid, noise, random, progress, job,
                            vae == null ? null : vae::decodeUnclamped));
                    double seconds = (System.nanoTime() - t) / 1e9;
                    double cpuSeconds = (processCpuNanos() - cpu) / 1e9;
                    long[][] stages = r.stages().stream().map(s -> new long[] {s.steps(), s.tokensPerStep()})
                            .toArray(long[][]::new);
                    java.awt.image.BufferedImage image = vae == null || round > 0 ? null
                            : io.fluxfleet.flux.vae.VaeDecoder.toImage(vae.decode(grid.unpack(r.tokens())));
                    Row row = new Row(sampler.name(), seed, r.steps(), seconds, cpuSeconds, model.nanos / 1e9,
                            r.tokenEvaluations(), FlopsModel.speedupVsFull(config, stages, grid.tokens(), textTokens),
                            r.tokens().toFloatArray(), image);
                    if (best[si] == null || row.seconds() < best[si].seconds()) {
                        // renders are deterministic: the image decoded in round 1 is this run's too
                        best[si] = best[si] == null ? row : row.withImage(best[si].image());
                    }
                    log.printf("\rround %d, %s: %.1f s wall, %.1f s CPU, %.1f%% outside the transformer%n", round + 1,
                            sampler.name(), seconds, cpuSeconds, 100 * row.outsideShare());
                }
            }
            }
            rows.addAll(List.of(best));
        }
        return rows;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** ||a - b|| / ||b||. */
    public static double relativeL2(float[] a, float[] b) {
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < a.length; i++) {
            diff += (a[i] - b[i]) * (double) (a[i] - b[i]);
            norm += b[i] * (double) b[i];
        }
        return Math.sqrt(diff / norm);
    }
}
