package io.fluxfleet.worker.render;

import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.sampling.CustomPresets;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplerPresets;
import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.sampling.jit.JitPreset;
import io.fluxfleet.sampling.jit.JitSampler;
import io.fluxfleet.sampling.ralu.RaluSampler;
import java.util.Arrays;
import java.util.List;

/** Which presets this fleet can run (those of {@link SamplerPresets}), and what they need. */
public final class Samplers {

    /** The named presets of {@link SamplerPresets}, and {@code custom} (JiT or RALU parameters in the job). */
    public static final List<Acceleration> AVAILABLE = Arrays.stream(Acceleration.values())
            .filter(a -> a == Acceleration.CUSTOM || SamplerPresets.NAMES.contains(a.wireName())).toList();

    private Samplers() {
    }

    public static boolean available(Acceleration acceleration) {
        return AVAILABLE.contains(acceleration);
    }

    public static String unavailableMessage(Acceleration acceleration) {
        return "acceleration '" + acceleration.wireName() + "' is not available yet on this fleet (available: "
                + String.join(", ", AVAILABLE.stream().map(Acceleration::wireName).toList()) + ")";
    }

    /**
     * Why this preset cannot render this size, or null. RALU's low-resolution stage halves the token
     * grid, so it needs an even grid: width and height multiples of 32.
     */
    public static String sizeProblem(Acceleration acceleration, int width, int height) {
        boolean ralu = acceleration == Acceleration.RALU_4X || acceleration == Acceleration.RALU_5X
                || acceleration == Acceleration.RALU_7X;
        if (ralu && (width % 32 != 0 || height % 32 != 0)) {
            return "acceleration '" + acceleration.wireName() + "' needs width and height multiples of 32, got "
                    + width + "x" + height;
        }
        return null;
    }

    /**
     * Why a job's custom preset cannot be used (its first problem, naming the field), or null; checked
     * before a slot is taken so a bad preset never reaches the engine.
     */
    public static String customProblem(JobRequest request, Acceleration acceleration, boolean distilled) {
        if (acceleration != Acceleration.CUSTOM) {
            return null;
        }
        try {
            Sampler sampler = custom(request, distilled);
            if (sampler instanceof RaluSampler && (request.width() % 32 != 0 || request.height() % 32 != 0)) {
                return "a custom RALU preset needs width and height multiples of 32, got " + request.width() + "x"
                        + request.height();
            }
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** none: the baseline Euler sampler with the request's steps; custom: the job's own preset; the others: theirs. */
    public static Sampler create(JobRequest request, Acceleration acceleration, FluxPipeline pipeline) {
        if (!available(acceleration)) {
            throw new IllegalArgumentException(unavailableMessage(acceleration));
        }
        if (acceleration == Acceleration.CUSTOM) {
            return custom(request, pipeline.model().variant() == FluxModelDirectory.Variant.SCHNELL);
        }
        return pipeline.sampler(acceleration.wireName(), acceleration == Acceleration.NONE ? request.steps() : null);
    }

    private static Sampler custom(JobRequest request, boolean distilled) {
        return CustomPresets.parse(request.custom(), distilled,
                LatentGrid.forImage(request.width(), request.height()).tokens());
    }

    /**
     * Image tokens the sampler will send through the transformer for this grid (the denominator of
     * progress fractions); 0 when not known in advance (progress then counts steps).
     */
    public static long plannedTokenEvaluations(Sampler sampler, LatentGrid grid) {
        try {
            if (sampler instanceof JitSampler jit) {
                JitPreset preset = jit.preset();
                long total = 0;
                for (int k = 0; k < preset.stages(); k++) {
                    total += (long) preset.stageSteps(k) * preset.anchors(k, grid.tokens());
                }
                return total;
            }
            if (sampler instanceof EulerSampler) {
                return (long) sampler.steps(grid) * grid.tokens();
            }
            return 0;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
