package io.fluxfleet.flux;

import io.fluxfleet.sampling.SamplingResult;
import java.awt.image.BufferedImage;

/**
 * A rendered image, the sampler's account of the work, and where the time went.
 *
 * @param latent the final latent [16, 2h, 2w] flattened (for comparing samplers)
 * @param textTokens the T5 sequence length the prompt was encoded at
 */
public record RenderResult(BufferedImage image, float[] latent, String sampler, int steps, long tokenEvaluations,
        java.util.List<SamplingResult.Stage> stages, Timings timings, int textTokens) {

    /** Milliseconds per phase. */
    public record Timings(long textEncodeMs, long denoiseMs, long decodeMs) {
        public long totalMs() {
            return textEncodeMs + denoiseMs + decodeMs;
        }
    }
}
