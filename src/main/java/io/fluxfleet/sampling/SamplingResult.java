package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The denoised tokens and what it took.
 *
 * @param tokens [B, N, 64] in raster order, sigma = 0
 * @param stages one entry per stage (the baseline has one), in order
 */
public record SamplingResult(NDArray tokens, List<Stage> stages) {

    /** @param tokensPerStep image tokens per model call in this stage (per image) */
    public record Stage(int steps, long tokensPerStep) {
        public long tokenEvaluations() {
            return steps * tokensPerStep;
        }
    }

    public int steps() {
        return stages.stream().mapToInt(Stage::steps).sum();
    }

    public long tokenEvaluations() {
        return stages.stream().mapToLong(Stage::tokenEvaluations).sum();
    }
}
