package io.fluxfleet.worker;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.job.Acceleration;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplerPresets;
import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.sampling.jit.JitPreset;
import io.fluxfleet.sampling.jit.JitSampler;
import java.util.Arrays;
import java.util.List;

/** Which presets this fleet can run (those of {@link SamplerPresets}), and what they need. */
final class Samplers {

    /** The presets with a sampler today; {@code custom} arrives through the same interface later. */
    static final List<Acceleration> AVAILABLE = Arrays.stream(Acceleration.values())
            .filter(a -> SamplerPresets.NAMES.contains(a.wireName())).toList();

    private Samplers() {
    }

    static boolean available(Acceleration acceleration) {
        return AVAILABLE.contains(acceleration);
    }

    static String unavailableMessage(Acceleration acceleration) {
        return "acceleration '" + acceleration.wireName() + "' is not available yet on this fleet (available: "
                + String.join(", ", AVAILABLE.stream().map(Acceleration::wireName).toList()) + ")";
    }

    /**
     * Why this preset cannot render this size, or null. RALU's low-resolution stage halves the token
     * grid, so it needs an even grid: width and height multiples of 32.
     */
    static String sizeProblem(Acceleration acceleration, int width, int height) {
        boolean ralu = acceleration == Acceleration.RALU_4X || acceleration == Acceleration.RALU_5X
                || acceleration == Acceleration.RALU_7X;
        if (ralu && (width % 32 != 0 || height % 32 != 0)) {
            return "acceleration '" + acceleration.wireName() + "' needs width and height multiples of 32, got "
                    + width + "x" + height;
        }
        return null;
    }

    /** none: the baseline Euler sampler with the request's steps; the others: their preset, fitted to the model. */
    static Sampler create(Acceleration acceleration, FluxPipeline pipeline, int steps) {
        if (!available(acceleration)) {
            throw new IllegalArgumentException(unavailableMessage(acceleration));
        }
        return pipeline.sampler(acceleration.wireName(), acceleration == Acceleration.NONE ? steps : null);
    }

    /**
     * Image tokens the sampler will send through the transformer for this grid (the denominator of
     * progress fractions); 0 when not known in advance (progress then counts steps).
     */
    static long plannedTokenEvaluations(Sampler sampler, LatentGrid grid) {
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
