package io.fluxfleet.sampling.euler;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.tensor.Scopes;
import java.util.List;

/** The baseline: every token at every step, y <- y + (sigma_next - sigma) * v. */
public final class EulerSampler implements Sampler {

    private final int steps;
    private final boolean shift;
    private final float[] fixedSigmas; // null: FLUX's schedule for the grid

    /** @param shift the dev model's resolution-dependent shift (false for schnell) */
    public EulerSampler(int steps, boolean shift) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1");
        }
        this.steps = steps;
        this.shift = shift;
        this.fixedSigmas = null;
    }

    /** Euler on a given schedule (steps + 1 sigmas from 1 to 0), e.g. to compare with JiT's. */
    public EulerSampler(float[] sigmas) {
        if (sigmas.length < 2) {
            throw new IllegalArgumentException("need at least two sigmas");
        }
        this.steps = sigmas.length - 1;
        this.shift = false;
        this.fixedSigmas = sigmas.clone();
    }

    @Override
    public String name() {
        return "none";
    }

    @Override
    public int steps(LatentGrid grid) {
        return steps;
    }

    public float[] sigmas(LatentGrid grid) {
        return fixedSigmas != null ? fixedSigmas.clone() : FluxSchedule.sigmas(steps, grid.tokens(), shift);
    }

    @Override
    public SamplingResult sample(SamplingContext ctx) {
        float[] sigmas = sigmas(ctx.grid());
        NDArray ids = batchIds(ctx);
        NDArray y = ctx.noise().duplicate();
        for (int i = 0; i < steps; i++) {
            NDArray current = y;
            float from = sigmas[i];
            float to = sigmas[i + 1];
            y = Scopes.keep(() -> current.add(ctx.model().velocity(current, ids, from).mul(to - from)));
            current.close();
            ctx.observer().onStep(i + 1, steps, to, ctx.model().tokenEvaluations());
        }
        return new SamplingResult(y, List.of(new SamplingResult.Stage(steps, ctx.grid().tokens())));
    }

    /** The full grid's ids repeated for each image of the batch: [B, N, 3]. */
    static NDArray batchIds(SamplingContext ctx) {
        NDArray ids = ctx.grid().ids(ctx.manager());
        long batch = ctx.noise().getShape().get(0);
        return batch == 1 ? ids : ids.repeat(0, batch);
    }
}
