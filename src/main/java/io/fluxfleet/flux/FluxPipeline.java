package io.fluxfleet.flux;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.text.T5Layout;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.ShardedSafetensors;
import java.nio.file.Files;
import io.fluxfleet.flux.text.ClipTextEncoder;
import io.fluxfleet.flux.text.ClipTokenizer;
import io.fluxfleet.flux.text.T5Encoder;
import io.fluxfleet.flux.text.T5Tokenizer;
import io.fluxfleet.flux.transformer.ActiveAdapters;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.flux.vae.VaeDecoder;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplerPresets;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingTrace;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.TensorSource;
import java.awt.image.BufferedImage;
import java.util.List;

/**
 * Text to image with one model replica on one device: tokenize, encode (CLIP pooled + T5),
 * seeded noise, a sampler's denoising loop, VAE decode. Not thread-safe: one render at a time
 * per pipeline (the fleet gives each device slot its own).
 */
public final class FluxPipeline implements AutoCloseable {

    /** Name of the seeded stream the initial noise is drawn from. */
    public static final String NOISE_STREAM = "initial-noise";

    private final FluxModelDirectory model;
    private final ComputePolicy policy;
    private final ClipTokenizer clipTokenizer;
    private final T5Tokenizer t5Tokenizer;
    private final ClipTextEncoder clip;
    private final T5Encoder t5;
    private final FluxTransformer transformer;
    private final VaeDecoder vae;

    private FluxPipeline(FluxModelDirectory model, ComputePolicy policy, ClipTokenizer clipTokenizer,
            T5Tokenizer t5Tokenizer, ClipTextEncoder clip, T5Encoder t5, FluxTransformer transformer, VaeDecoder vae) {
        this.model = model;
        this.policy = policy;
        this.clipTokenizer = clipTokenizer;
        this.t5Tokenizer = t5Tokenizer;
        this.clip = clip;
        this.t5 = t5;
        this.transformer = transformer;
        this.vae = vae;
    }

    /**
     * Loads every component. All weight files are validated (names and shapes) before the first
     * tensor is loaded, so a bad directory fails fast and uses no device memory.
     */
    public static FluxPipeline load(FluxModelDirectory dir, ComputePolicy policy) {
        ClipTokenizer clipTok = ClipTokenizer.load(dir.clipTokenizer());
        int t5Length = dir.variant() == FluxModelDirectory.Variant.DEV ? 512 : 256;
        validateAll(dir);
        T5Tokenizer t5Tok = T5Tokenizer.load(dir.t5Tokenizer(), t5Length);
        ClipTextEncoder clip = null;
        T5Encoder t5 = null;
        VaeDecoder vae = null;
        try {
            clip = ClipTextEncoder.load(dir.clip(), dir.clipConfig(), policy);
            t5 = T5Encoder.load(dir.t5(), dir.t5Config(), policy);
            vae = VaeDecoder.load(dir.vae(), dir.vaeLayout(), dir.vaeConfig(), policy);
            FluxTransformer transformer;
            try (TensorSource source = dir.openTransformer()) {
                transformer = new FluxTransformer(WeightLoader.load(source, dir.transformerConfig().spec(),
                        dir.transformerLayout(), "transformer", policy.device(), policy.transformerType()),
                        dir.transformerConfig(), policy);
            }
            return new FluxPipeline(dir, policy, clipTok, t5Tok, clip, t5, transformer, vae);
        } catch (RuntimeException e) {
            closeQuietly(clip, t5, vae, t5Tok);
            throw e;
        }
    }

    /** Checks every component's tensor names and shapes against its file headers; loads nothing. */
    public static void validateAll(FluxModelDirectory dir) {
        try (TensorSource s = dir.openTransformer()) {
            validate(s, dir.transformerConfig().spec(), dir.transformerLayout(), "transformer");
        }
        try (TensorSource s = ShardedSafetensors.openDirectory(dir.clip())) {
            validate(s, dir.clipConfig().spec(), Layout.CANONICAL, "CLIP text encoder");
        }
        try (TensorSource s = ShardedSafetensors.openDirectory(dir.t5())) {
            validate(s, dir.t5Config().spec(), T5Layout.INSTANCE, "T5 text encoder");
        }
        try (TensorSource s = Files.isDirectory(dir.vae()) ? ShardedSafetensors.openDirectory(dir.vae())
                : SafetensorsFile.open(dir.vae())) {
            validate(s, dir.vaeConfig().spec(), dir.vaeLayout(), "VAE");
        }
    }

    private static void validate(TensorSource source, WeightSpec spec, Layout layout, String component) {
        WeightLoader.validate(source, layout.recipes(spec, source.names()), component);
    }

    /** The baseline sampler with the model's defaults (dev: 50 shifted steps; schnell: 4 plain). */
    public Sampler defaultSampler(Integer steps) {
        return sampler("none", steps);
    }

    /** A named sampler (none, jit-4x, ralu-7x, ...) fitted to this model (schnell: distilled budgets). */
    public Sampler sampler(String acceleration, Integer steps) {
        return SamplerPresets.create(acceleration, model.variant() == FluxModelDirectory.Variant.SCHNELL, steps);
    }

    /** Renders with LoRA adapters applied as side paths for this render only; the base weights stay untouched. */
    public RenderResult render(RenderRequest request, List<ActiveAdapters.Applied> adapters, Sampler sampler,
            StepObserver observer, SamplingTrace trace) {
        try (ActiveAdapters.Binding bound = transformer.adapters().bind(adapters)) {
            return render(request, sampler, observer, trace);
        }
    }

    public RenderResult render(RenderRequest request, Sampler sampler, StepObserver observer) {
        return render(request, sampler, observer, SamplingTrace.NONE);
    }

    /** As {@link #render(RenderRequest, Sampler, StepObserver)}, reporting the sampler's calls and draws to {@code trace}. */
    public RenderResult render(RenderRequest request, Sampler sampler, StepObserver observer, SamplingTrace trace) {
        LatentGrid grid = LatentGrid.forImage(request.width(), request.height());
        SeededStreams random = new SeededStreams(request.seed());
        int textTokens = request.maxSequenceLength() != null ? request.maxSequenceLength() : t5Tokenizer.maxLength();
        try (NDManager job = NDManager.newBaseManager(policy.device())) {
            long t0 = System.nanoTime();
            NDArray txt = t5.encode(t5Tokenizer.encode(request.prompt(), textTokens));
            NDArray pooled = clip.pooled(clipTokenizer.encode(request.prompt()));
            txt.attach(job);
            pooled.attach(job);
            long t1 = System.nanoTime();

            // Noise is drawn in Java from the job seed: identical on every worker and device.
            NDArray noise = random.normal(NOISE_STREAM, new Shape(1, LatentGrid.LATENT_CHANNELS, 2L * grid.rows(),
                    2L * grid.cols()), job).toDevice(policy.device(), false);
            FluxDenoiser denoiser = new FluxDenoiser(transformer, txt, pooled, request.guidance());
            SamplingResult sampled = sampler.sample(new SamplingContext(denoiser, grid, grid.pack(noise), random,
                    observer, job, vae::decodeUnclamped, trace));
            long t2 = System.nanoTime();

            NDArray latent = grid.unpack(sampled.tokens());
            BufferedImage image = VaeDecoder.toImage(vae.decode(latent));
            long t3 = System.nanoTime();
            return new RenderResult(image, latent.toFloatArray(), sampler.name(), sampled.steps(),
                    sampled.tokenEvaluations(), sampled.stages(),
                    new RenderResult.Timings(ms(t1 - t0), ms(t2 - t1), ms(t3 - t2)), textTokens);
        }
    }

    public FluxTransformer transformer() {
        return transformer;
    }

    public FluxModelDirectory model() {
        return model;
    }

    public ComputePolicy policy() {
        return policy;
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static void closeQuietly(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r != null) {
                try {
                    r.close();
                } catch (Exception ignored) {
                    // already failing
                }
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(transformer, vae, t5, clip, t5Tokenizer);
    }
}
