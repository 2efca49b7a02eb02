package io.fluxfleet.sampling;

/**
 * Called after every denoising step: progress reporting, and cancellation (throw
 * {@link java.util.concurrent.CancellationException} to stop between steps).
 */
@FunctionalInterface
public interface StepObserver {

    /**
     * @param step steps done so far (1-based)
     * @param totalSteps steps the sampler will take
     * @param sigma the noise level reached
     * @param tokenEvaluations image tokens sent through the transformer so far
     */
    void onStep(int step, int totalSteps, float sigma, long tokenEvaluations);

    StepObserver NONE = (step, total, sigma, evaluations) -> { };
}
