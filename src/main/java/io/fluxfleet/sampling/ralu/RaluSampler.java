package io.fluxfleet.sampling.ralu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.sampling.GridOps;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplingContext;
import io.fluxfleet.sampling.SamplingResult;
import io.fluxfleet.sampling.SeededStreams;
import io.fluxfleet.tensor.Scopes;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * RALU (region-adaptive latent upsampling): denoise at half resolution first, then upsample the
 * most edge-rich tokens early (each becomes four full-resolution children at half-offset ids),
 * then the rest. At each resolution change the state is re-noised with noise correlated inside
 * each 2x2 copy block, so it sits exactly on an earlier, noisier point of the flow.
 *
 * <p>Token sequence per stage: (1) the low-resolution grid in raster order; (2) the unchosen
 * low-resolution tokens, then the children of the chosen ones; (3) the full grid in raster
 * order. Ids are in low-resolution units until stage 3 doubles them.
 */
public final class RaluSampler implements Sampler {

    public static final String TIE_STREAM = "ralu-edge-ties";
    public static final String RENOISE_STREAM = "ralu-renoise-";

    private final RaluPreset preset;

    public RaluSampler(RaluPreset preset) {
        this.preset = preset;
    }

    public RaluPreset preset() {
        return preset;
    }

    @Override
    public String name() {
        return preset.name();
    }

    @Override
    public int steps(LatentGrid grid) {
        return preset.totalSteps();
    }

    /** One token of a stage's sequence: a low-res token (child = -1) or child (cy, cx) = child/2, child%2. */
    record Token(int row, int col, int child) {
        float idRow() {
            return child < 0 ? row : row + (child / 2) * 0.5f;
        }

        float idCol() {
            return child < 0 ? col : col + (child % 2) * 0.5f;
        }
    }

    @Override
    public SamplingResult sample(SamplingContext ctx) {
        LatentGrid grid = ctx.grid();
        if (grid.rows() % 2 != 0 || grid.cols() % 2 != 0) {
            throw new IllegalArgumentException("RALU needs an even token grid (width and height multiples of 32), got "
                    + grid.cols() * 16 + "x" + grid.rows() * 16);
        }
        if (ctx.noise().getShape().get(0) != 1) {
            throw new IllegalArgumentException("RALU renders one image per call");
        }
        NDManager m = ctx.manager();
        LatentGrid low = new LatentGrid(grid.rows() / 2, grid.cols() / 2);
        float[][] sigmas = RaluSchedule.allStages(preset);
        int total = preset.totalSteps();
        int[] done = {0};

        // Stage 1: the noise latent downsampled 2x (nearest keeps N(0, 1)), integer low-res ids.
        NDArray fullNoise = grid.unpack(ctx.noise());
        NDArray y = low.pack(fullNoise.get(":, :, ::2, ::2"));
        List<Token> tokens = new ArrayList<>();
        for (int r = 0; r < low.rows(); r++) {
            for (int c = 0; c < low.cols(); c++) {
                tokens.add(new Token(r, c, -1));
            }
        }
        List<SamplingResult.Stage> report = new ArrayList<>();
        NDArray[] last = run(ctx, y, ids(m, tokens), sigmas[0], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[0], tokens.size()));

        // Stage 2: score edges of x0_hat, upsample the top r share, re-noise.
        float sigmaEnd = sigmas[0][sigmas[0].length - 1];
        NDArray x0 = last[0].sub(last[1].mul(sigmaEnd));
        float[] scores = edgeScores(ctx, low, x0);
        int k = (int) Math.floor(preset.upsampleRatio() * low.tokens());
        int[] chosen = GridOps.topK(scores, k, tieRanks(ctx.random(), low.tokens()));
        boolean[] isChosen = new boolean[low.tokens()];
        for (int c : chosen) {
            isChosen[c] = true;
        }
        int[] kept = java.util.stream.IntStream.range(0, low.tokens()).filter(i -> !isChosen[i]).toArray();
        List<Token> stage2 = new ArrayList<>();
        for (int i : kept) {
            stage2.add(tokens.get(i));
        }
        for (int i : chosen) {
            for (int child = 0; child < 4; child++) {
                stage2.add(new Token(tokens.get(i).row(), tokens.get(i).col(), child));
            }
        }
        NDArray keptState = take(last[0], kept);
        NDArray upsampled = upsample(take(last[0], chosen));
        y = renoise(ctx, 1, NDArrays.concat(new NDList(keptState, upsampled), 1), kept.length, chosen.length,
                preset.ends()[0]);
        closeAll(last);
        last = run(ctx, y, ids(m, stage2), sigmas[1], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[1], stage2.size()));

        // Stage 3: upsample the rest, ids doubled to integers, raster order, re-noise.
        int lowCount = kept.length;
        int[] lowPart = java.util.stream.IntStream.range(0, lowCount).toArray();
        int[] childPart = java.util.stream.IntStream.range(lowCount, stage2.size()).toArray();
        List<Token> stage3 = new ArrayList<>();
        for (int i : childPart) {
            stage3.add(stage2.get(i));
        }
        for (int i : lowPart) {
            for (int child = 0; child < 4; child++) {
                stage3.add(new Token(stage2.get(i).row(), stage2.get(i).col(), child));
            }
        }
        NDArray mixed = NDArrays.concat(new NDList(take(last[0], childPart), upsample(take(last[0], lowPart))), 1);
        NDArray renoised = renoise(ctx, 2, mixed, childPart.length, lowPart.length, preset.ends()[1]);
        int[] raster = new int[stage3.size()]; // raster[fullIndex] = position in stage3
        for (int p = 0; p < stage3.size(); p++) {
            Token t = stage3.get(p);
            int row = 2 * t.row() + t.child() / 2;
            int col = 2 * t.col() + t.child() % 2;
            raster[row * grid.cols() + col] = p;
        }
        y = take(renoised, raster);
        closeAll(last);
        last = run(ctx, y, grid.ids(m), sigmas[2], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[2], grid.tokens()));
        last[1].close();
        return new SamplingResult(last[0], report);
    }

    /** Latent Sobel scores by default; Canny on the decoded estimate when the preset asks. */
    private float[] edgeScores(SamplingContext ctx, LatentGrid low, NDArray x0) {
        if (!preset.imageSpaceEdges()) {
            return EdgeScore.latent(low.unpack(x0));
        }
        if (ctx.decoder() == null) {
            throw new IllegalStateException("image-space edge scoring needs a VAE decoder in the sampling context");
        }
        return ImageEdgeScore.canny(ctx.decoder().decode(low.unpack(x0)), low.rows(), low.cols());
    }

    /** Euler over one stage's sigmas; returns {final state, last velocity}. */
    private NDArray[] run(SamplingContext ctx, NDArray start, NDArray ids, float[] sigmas, int[] done, int total) {
        NDArray y = start;
        NDArray v = null;
        for (int i = 0; i + 1 < sigmas.length; i++) {
            NDArray state = y;
            float from = sigmas[i];
            float to = sigmas[i + 1];
            NDArray velocity = Scopes.keep(() -> ctx.model().velocity(state, ids, from));
            y = Scopes.keep(() -> state.add(velocity.mul(to - from)));
            if (v != null) {
                v.close();
            }
            state.close();
            v = velocity;
            done[0]++;
            ctx.observer().onStep(done[0], total, to, ctx.model().tokenEvaluations());
        }
        return new NDArray[] {y, v};
    }

    /** Seeded tie-break ranks: a random permutation, so equal scores are ordered by the seed. */
    private static int[] tieRanks(SeededStreams random, int n) {
        RandomGenerator rng = random.stream(TIE_STREAM);
        int[] rank = new int[n];
        for (int i = 0; i < n; i++) {
            rank[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = rank[i];
            rank[i] = rank[j];
            rank[j] = t;
        }
        return rank;
    }

    /** Float ids [1, n, 3] (0, row, col) of a token sequence, in low-resolution units. */
    static NDArray ids(NDManager m, List<Token> tokens) {
        float[] ids = new float[tokens.size() * 3];
        for (int i = 0; i < tokens.size(); i++) {
            ids[i * 3 + 1] = tokens.get(i).idRow();
            ids[i * 3 + 2] = tokens.get(i).idCol();
        }
        return m.create(ids, new Shape(1, tokens.size(), 3));
    }

    private static NDArray take(NDArray tokens, int[] positions) {
        long[] idx = java.util.Arrays.stream(positions).asLongStream().toArray();
        return tokens.get(new NDIndex(":, {}", tokens.getManager().create(idx)));
    }

    /**
     * Nearest 2x upsampling in token space: parent [1, k, 64] (channel c, dy, dx at c*4 + dy*2 + dx)
     * -> children [1, 4k, 64]; child (cy, cx) holds the parent's latent pixel (c, cy, cx) in all
     * four of its (dy, dx) slots.
     */
    static NDArray upsample(NDArray parents) {
        long k = parents.getShape().get(1);
        return parents.reshape(1, k, 16, 2, 2).transpose(0, 1, 3, 4, 2) // [1, k, cy, cx, c]
                .reshape(1, k, 4, 16, 1).repeat(4, 4) // each pixel into its 2x2 block
                .reshape(1, 4 * k, 64);
    }

    /**
     * y <- a y + b z over [plain tokens, upsampled children]: plain tokens get i.i.d. noise,
     * children noise with covariance I - cB inside each copy block (z = g + gamma sum(g) 1).
     */
    NDArray renoise(SamplingContext ctx, int transition, NDArray state, int plainTokens, int upsampledParents,
            double stageEndT) {
        NDManager m = state.getManager();
        double a = RaluSchedule.signalScale(stageEndT, preset.z());
        double b = RaluSchedule.noiseScale(stageEndT, preset.z());
        double gamma = RaluSchedule.blockGamma(preset.c());
        SeededStreams random = ctx.random();
        NDArray g = random.normal(RENOISE_STREAM + transition, new Shape(1, plainTokens + 4L * upsampledParents, 64), m)
                .toDevice(state.getDevice(), false);
        NDList parts = g.split(new long[] {plainTokens}, 1);
        NDArray blocks = parts.get(1).reshape(1, 4L * upsampledParents, 16, 4);
        NDArray correlated = blocks.add(blocks.sum(new int[] {3}, true).mul(gamma)).reshape(1, 4L * upsampledParents, 64);
        NDArray z = NDArrays.concat(new NDList(parts.get(0), correlated), 1);
        return state.mul(a).add(z.mul(b));
    }

    private static void closeAll(NDArray[] arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }
}
