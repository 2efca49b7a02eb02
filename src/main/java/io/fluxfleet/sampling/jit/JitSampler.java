package io.fluxfleet.sampling.jit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.tensor.Scopes;
import java.util.ArrayList;
import java.util.List;

/**
 * JiT (Just-in-Time spatial acceleration, arXiv 2603.10744): only anchor tokens go through the
 * transformer; the other tokens' velocity is lifted from them (nearest-anchor fill + blur), and
 * the full state moves with it. Anchors grow stage by stage to the full grid; tokens that join
 * are moved onto a target consistent with the structure so far and the current noise level
 * (the micro-flow). Every random draw comes from the job's seed.
 *
 * <p>Batching two jobs of the same size and preset is possible by design (each stage has the
 * same anchor count for every image; only positions differ) but not done yet: one image per call.
 */
public final class JitSampler implements Sampler {

    public static final String ANCHOR_STREAM = "jit-anchors";
    public static final String TRANSITION_NOISE_STREAM = "jit-transition-noise";

    private final JitPreset preset;

    public JitSampler(JitPreset preset) {
        this.preset = preset;
    }

    public JitPreset preset() {
        return preset;
    }

    @Override
    public String name() {
        return preset.name();
    }

    @Override
    public int steps(LatentGrid grid) {
        return preset.steps();
    }

    public float[] sigmas() {
        return BetaSchedule.sigmas(preset.steps(), preset.betaAlpha(), preset.betaBeta());
    }

    @Override
    public SamplingResult sample(SamplingContext ctx) {
        if (ctx.noise().getShape().get(0) != 1) {
            throw new IllegalArgumentException("JiT renders one image per call (batching is not implemented yet)");
        }
        LatentGrid grid = ctx.grid();
        int n = grid.tokens();
        NDManager m = ctx.manager();
        float[] sigmas = sigmas();
        NDArray ids = grid.ids(m);

        ctx.trace().initialNoise(ctx.noise());
        AnchorSet anchors = AnchorSet.initial(grid, preset.anchors(0, n), ctx.random().stream(ANCHOR_STREAM));
        ctx.trace().randomIndices(ANCHOR_STREAM, anchors.indices());
        StageLift stage = new StageLift(anchors, preset.blurPadding(), m);
        List<SamplingResult.Stage> report = new ArrayList<>();
        NDArray y = ctx.noise().duplicate();
        NDArray yPrev = null;
        NDArray vPrev = null;
        try {
            for (int k = 0; k < preset.stages(); k++) {
                int start = preset.stageStarts()[k];
                AnchorSet previous = anchors;
                if (k > 0) {
                    AnchorSet grown = nextAnchors(k, anchors, vPrev, grid);
                    NDArray moved = transition(ctx, stage, grown.minus(anchors), y, yPrev, vPrev, sigmas[start - 1],
                            sigmas[start]);
                    y.close();
                    y = moved;
                    stage.close();
                    anchors = grown;
                    stage = new StageLift(anchors, preset.blurPadding(), m);
                }
                report.add(new SamplingResult.Stage(preset.stageSteps(k), anchors.size()));
                ctx.trace().stage(k, positions(k == 0 ? anchors.indices() : anchors.minus(previous), grid), 1);
                for (int i = start; i < start + preset.stageSteps(k); i++) {
                    StageLift lift = stage;
                    NDArray state = y;
                    float from = sigmas[i];
                    ctx.trace().modelCall(i, from, lift.anchors().isFull() ? ids : lift.gather(ids));
                    NDArray v = Scopes.keep(() -> lift.anchors().isFull()
                            ? ctx.model().velocity(state, ids, from)
                            : lift.lift(ctx.model().velocity(lift.gather(state), lift.gather(ids), from)));
                    float to = sigmas[i + 1];
                    NDArray stepped = Scopes.keep(() -> state.add(v.mul(to - from)));
                    closeAll(yPrev, vPrev);
                    yPrev = state;
                    vPrev = v;
                    y = stepped;
                    ctx.trace().state(i, stepped);
                    ctx.observer().onStep(i + 1, preset.steps(), sigmas[i + 1], ctx.model().tokenEvaluations());
                }
            }
            return new SamplingResult(y, report);
        } finally {
            closeAll(yPrev, vPrev);
            stage.close();
        }
    }

    /** (row, col) of raster indices, for the trace. */
    private static float[][] positions(int[] raster, LatentGrid grid) {
        float[][] out = new float[raster.length][];
        for (int i = 0; i < raster.length; i++) {
            out[i] = new float[] {raster[i] / grid.cols(), raster[i] % grid.cols()};
        }
        return out;
    }

    private static void closeAll(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }

    /** The next stage's anchors: the old ones plus the most important non-anchors of v_prev. */
    private AnchorSet nextAnchors(int k, AnchorSet anchors, NDArray vPrev, LatentGrid grid) {
        int count = preset.anchors(k, grid.tokens());
        if (count >= grid.tokens()) {
            return anchors.grow(count, null); // the rest, appended in raster order
        }
        return anchors.grow(count, Importance.compute(vPrev, grid, preset.importancePadding()));
    }

    /**
     * The micro-flow at a stage change: x0_hat = y_prev - sigma_prev v_prev, interpolated from
     * the OLD anchors; the new tokens R move to (1 - w) y + w ((1 - sigma) x0_interp + sigma eps),
     * eps from the job's transition-noise stream (one draw of the full latent per job).
     */
    NDArray transition(SamplingContext ctx, StageLift oldStage, int[] newTokens, NDArray y, NDArray yPrev,
            NDArray vPrev, float sigmaPrev, float sigma) {
        LatentGrid grid = ctx.grid();
        return Scopes.keep(() -> {
            NDManager m = y.getManager();
            NDArray x0 = yPrev.sub(vPrev.mul(sigmaPrev));
            NDArray x0Interp = oldStage.lift(oldStage.gather(x0));
            NDArray eps = ctx.random().normal(TRANSITION_NOISE_STREAM, new Shape(1, grid.tokens(), 64), m)
                    .toDevice(y.getDevice(), false);
            ctx.trace().randomNormals(TRANSITION_NOISE_STREAM, eps); // the same draw at every transition
            NDArray target = x0Interp.mul(1 - sigma).add(eps.mul(sigma));
            float w = (float) preset.blendWeight();
            NDArray blended = y.mul(1 - w).add(target.mul(w));
            NDArray inR = StageLift.mask(m, grid.tokens(), newTokens).toDevice(y.getDevice(), false);
            return blended.mul(inR).add(y.mul(inR.neg().add(1)));
        });
    }
}
