package io.fluxfleet.sampling;

import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.sampling.jit.JitPreset;
import io.fluxfleet.sampling.jit.JitSampler;
import io.fluxfleet.sampling.ralu.RaluPreset;
import io.fluxfleet.sampling.ralu.RaluSampler;
import java.util.List;

/** The named samplers a job or command can ask for, in one place. */
public final class SamplerPresets {

    public static final List<String> NAMES = List.of("none", "jit-4x", "jit-7x", "ralu-4x", "ralu-5x", "ralu-7x");

    private SamplerPresets() {}

    /**
     * @param distilled a distilled model (FLUX.1-schnell): 4 plain steps for none, RALU's 1/1/2
     * @param steps steps of the baseline ({@code none}); null for the model's default
     */
    public static Sampler create(String name, boolean distilled, Integer steps) {
        if (name.equals("none")) {
            return new EulerSampler(steps != null ? steps : distilled ? 4 : 50, !distilled);
        }
        JitPreset jit = JitPreset.named(name);
        if (jit != null) {
            return new JitSampler(jit);
        }
        RaluPreset ralu = RaluPreset.named(name);
        if (ralu != null) {
            return new RaluSampler(distilled ? ralu.forDistilled() : ralu);
        }
        throw new IllegalArgumentException("unknown acceleration '" + name + "'; known: " + String.join(", ", NAMES));
    }
}
