package io.fluxfleet.cli;

import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.flux.RenderResult;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingTrace;
import io.fluxfleet.sampling.trace.TraceFiles;
import io.fluxfleet.sampling.trace.TraceRecorder;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "render", mixinStandardHelpOptions = true, description = "Render one image to a PNG file.")
final class RenderCommand implements Callable<Integer> {

    @Option(names = {"-m", "--model"}, required = true, description = "FLUX model directory (diffusers or original layout)")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true)
    String prompt;

    @Option(names = {"-o", "--output"}, defaultValue = "out.png", description = "PNG path (default: ${DEFAULT-VALUE})")
    Path output;

    @Option(names = "--width", defaultValue = "1024")
    int width;

    @Option(names = "--height", defaultValue = "1024")
    int height;

    @Option(names = "--steps", description = "Steps of the baseline sampler (default: 50 for dev, 4 for schnell)")
    Integer steps;

    @Option(names = {"-a", "--acceleration"}, defaultValue = "none",
            description = "none, jit-4x, jit-7x, ralu-4x, ralu-5x or ralu-7x (default: ${DEFAULT-VALUE})")
    String acceleration;

    @Option(names = "--seed", defaultValue = "0")
    long seed;

    @Option(names = "--guidance", defaultValue = "3.5", description = "Distilled guidance (dev only)")
    float guidance;

    @Option(names = "--max-sequence-length", description = "T5 tokens, 256 or 512 (default: 512 for dev, 256 for schnell;"
            + " the JiT and RALU reference code use 256)")
    Integer maxSequenceLength;

    @Option(names = "--trace", description = "Write the sampler trace here: trace.json, trace.safetensors (every"
            + " model call's sigma and token positions, the tokens that joined per stage, the initial noise and"
            + " random draws) and trace.png (per stage, which tokens the transformer computed)")
    Path trace;

    @Option(names = "--device", defaultValue = "cpu", description = "cpu or cuda:N (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--kernels", defaultValue = "AUTO", description = "AUTO, FUSED or COMPOSED")
    Kernels.Choice kernels;

    @Override
    public Integer call() throws Exception {
        RenderRequest request = new RenderRequest(prompt, width, height, seed, guidance, maxSequenceLength);
        ComputePolicy policy = ComputePolicy.forDevice(ComputePolicy.parseDevice(device), kernels);
        long t0 = System.nanoTime();
        FluxModelDirectory dir = FluxModelDirectory.open(model);
        System.err.printf("loading %s (%s layout, %s) on %s%n", model, dir.diffusersLayout() ? "diffusers" : "original",
                dir.variant().name().toLowerCase(), policy.device());
        try (FluxPipeline pipeline = FluxPipeline.load(dir, policy)) {
            long loadMs = (System.nanoTime() - t0) / 1_000_000;
            Sampler sampler = pipeline.sampler(acceleration, steps);
            ProgressBar bar = new ProgressBar(System.err);
            TraceRecorder recorder = trace == null ? null : new TraceRecorder();
            RenderResult result = pipeline.render(request, sampler, bar,
                    recorder == null ? SamplingTrace.NONE : recorder);
            bar.finish();
            if (recorder != null) {
                TraceFiles.write(trace, recorder, new TraceFiles.Header(result.sampler(), seed,
                        LatentGrid.forImage(width, height)), result.image());
                System.err.println("trace: " + trace.toAbsolutePath().resolve(TraceFiles.INDEX));
            }
            if (output.toAbsolutePath().getParent() != null) {
                Files.createDirectories(output.toAbsolutePath().getParent());
            }
            ImageIO.write(result.image(), "png", output.toFile());
            RenderResult.Timings t = result.timings();
            System.err.printf("load %d ms | text %d ms (%d T5 tokens) | denoise %d ms (%s, %d model calls, %d token evaluations)"
                    + " | decode %d ms%n", loadMs, t.textEncodeMs(), result.textTokens(), t.denoiseMs(),
                    result.sampler(), result.steps(),
                    result.tokenEvaluations(), t.decodeMs());
            System.out.println(output.toAbsolutePath());
        }
        return 0;
    }
}
