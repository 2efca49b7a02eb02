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
        ctx.trace().initialNoise(ctx.noise());

        // Stage 1: the noise latent downsampled 2x (nearest: latent pixel (2i, 2j)), integer low-res ids.
        NDArray fullNoise = grid.unpack(ctx.noise());
        NDArray y = low.pack(fullNoise.get(":, :, ::2, ::2"));
        List<Token> tokens = new ArrayList<>();
        for (int r = 0; r < low.rows(); r++) {
            for (int c = 0; c < low.cols(); c++) {
                tokens.add(new Token(r, c, -1));
            }
        }
        List<SamplingResult.Stage> report = new ArrayList<>();
        ctx.trace().stage(0, positions(tokens, 1), 2);
        NDArray[] last = run(ctx, y, ids(m, tokens), sigmas[0], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[0], tokens.size()));

        // Stage 2: score edges of x0_hat = y - sigma_end v_last, upsample the top r share, re-noise.
        float sigmaEnd = sigmas[0][sigmas[0].length - 1];
        NDArray x0 = last[0].sub(last[1].mul(sigmaEnd));
        float[] scores = edgeScores(ctx, low, x0);
        int k = (int) Math.floor(preset.upsampleRatio() * low.tokens());
        int[] chosen = GridOps.topK(scores, k, tieRanks(ctx, low.tokens()));
        boolean[] isChosen = new boolean[low.tokens()];
        for (int c : chosen) {
            isChosen[c] = true;
        }
        int[] kept = java.util.stream.IntStream.range(0, low.tokens()).filter(i -> !isChosen[i]).toArray();
        List<Token> stage2 = new ArrayList<>();
        for (int i : kept) {
            stage2.add(tokens.get(i));
        }
        List<Token> children2 = children(tokens, chosen);
        stage2.addAll(children2);
        NDArray upsampled = upsample(take(last[0], chosen));
        NDArray mixed2 = NDArrays.concat(new NDList(take(last[0], kept), upsampled), 1);
        y = renoise(ctx, 1, mixed2, new Blocks(kept.length, chosen.length), preset.ends()[0]);
        closeAll(last);
        ctx.trace().stage(1, positions(children2, 1), 2);
        last = run(ctx, y, ids(m, stage2), sigmas[1], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[1], stage2.size()));

        // Stage 3: upsample the rest; sequence [their children, stage-2 children], ids doubled, re-noise,
        // then raster order.
        int lowCount = kept.length;
        int[] lowPart = java.util.stream.IntStream.range(0, lowCount).toArray();
        int[] childPart = java.util.stream.IntStream.range(lowCount, stage2.size()).toArray();
        List<Token> stage3 = children(stage2, lowPart);
        List<Token> joined3 = List.copyOf(stage3);
        for (int i : childPart) {
            stage3.add(stage2.get(i));
        }
        NDArray mixed = NDArrays.concat(new NDList(upsample(take(last[0], lowPart)), take(last[0], childPart)), 1);
        NDArray renoised = renoise(ctx, 2, mixed, new Blocks(0, lowPart.length), preset.ends()[1]);
        int[] raster = new int[stage3.size()]; // raster[fullIndex] = position in stage3
        for (int p = 0; p < stage3.size(); p++) {
            Token t = stage3.get(p);
            raster[(2 * t.row() + t.child() / 2) * grid.cols() + 2 * t.col() + t.child() % 2] = p;
        }
        y = take(renoised, raster);
        closeAll(last);
        ctx.trace().stage(2, positions(joined3, 2), 1); // stage 3 runs on full-grid ids
        last = run(ctx, y, grid.ids(m), sigmas[2], done, total);
        report.add(new SamplingResult.Stage(preset.steps()[2], grid.tokens()));
        last[1].close();
        return new SamplingResult(last[0], report);
    }

    /** The four children of each parent at the given positions, in order (row, col), (row, col+1/2), ... */
    private static List<Token> children(List<Token> sequence, int[] parents) {
        List<Token> out = new ArrayList<>();
        for (int i : parents) {
            for (int child = 0; child < 4; child++) {
                out.add(new Token(sequence.get(i).row(), sequence.get(i).col(), child));
            }
        }
        return out;
    }

    /** Ids (row, col) of tokens times {@code scale}, for the trace. */
    private static float[][] positions(List<Token> tokens, float scale) {
        float[][] out = new float[tokens.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[] {scale * tokens.get(i).idRow(), scale * tokens.get(i).idCol()};
        }
        return out;
    }

    /** Default: OpenCV Canny on the decoded estimate (the reference); option: latent Sobel. */
    private float[] edgeScores(SamplingContext ctx, LatentGrid low, NDArray x0) {
        if (preset.variant().edges() == RaluPreset.EdgeScoring.LATENT_SOBEL) {
            return EdgeScore.latent(low.unpack(x0));
        }
        if (ctx.decoder() == null) {
            throw new IllegalStateException("RALU's image-space edge score needs a VAE decoder in the sampling context "
                    + "(or choose the latent edge score in a custom preset)");
        }
        try (NDManager scope = x0.getManager().newSubManager()) {
            NDArray decoded = ctx.decoder().decode(low.unpack(x0));
            decoded.attach(scope);
            return ImageEdgeScore.score(decoded, low.rows(), low.cols(), preset.variant().gray());
        }
    }

    /** Euler over one stage's sigmas; returns {final state, last velocity}. */
    private NDArray[] run(SamplingContext ctx, NDArray start, NDArray ids, float[] sigmas, int[] done, int total) {
        NDArray y = start;
        NDArray v = null;
        for (int i = 0; i + 1 < sigmas.length; i++) {
            NDArray state = y;
            float from = sigmas[i];
            float to = sigmas[i + 1];
            ctx.trace().modelCall(done[0], from, ids);
            NDArray velocity = Scopes.keep(() -> ctx.model().velocity(state, ids, from));
            y = Scopes.keep(() -> state.add(velocity.mul(to - from)));
            if (v != null) {
                v.close();
            }
            state.close();
            v = velocity;
            ctx.trace().state(done[0], y);
            done[0]++;
            ctx.observer().onStep(done[0], total, to, ctx.model().tokenEvaluations());
        }
        return new NDArray[] {y, v};
    }

    /**
     * Seeded tie-break ranks: a random permutation, so equal edge counts are ordered by the seed
     * (the reference adds 1e-6 jitter from an unseeded generator).
     */
    private static int[] tieRanks(SamplingContext ctx, int n) {
        RandomGenerator rng = ctx.random().stream(TIE_STREAM);
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
        ctx.trace().randomIndices(TIE_STREAM, rank);
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
     * Nearest 2x upsampling of parents [1, k, 64] into children [1, 4k, 64], four per parent in the
     * order (0, 0), (0, 1/2), (1/2, 0), (1/2, 1/2). TOKEN_COPY (the reference): each child is the
     * whole parent token. PIXEL_SPLIT (ours): child (cy, cx) holds the parent's latent pixel
     * (c, cy, cx) in all four of its (dy, dx) slots (channel index c*4 + dy*2 + dx).
     */
    NDArray upsample(NDArray parents) {
        long k = parents.getShape().get(1);
        if (preset.variant().upsampling() == RaluPreset.Upsampling.TOKEN_COPY) {
            return parents.repeat(1, 4);
        }
        return parents.reshape(1, k, 16, 2, 2).transpose(0, 1, 3, 4, 2) // [1, k, cy, cx, c]
                .reshape(1, k, 4, 16, 1).repeat(4, 4) // each pixel into its 2x2 block
                .reshape(1, 4 * k, 64);
    }

    /** Where the upsampled children sit in a re-noised sequence: 4 * parents tokens from {@code start}. */
    record Blocks(int start, int parents) {}

    /**
     * y <- a y + b z: tokens outside the children blocks get i.i.d. noise; children get noise with
     * covariance I - cB over their copies (z = g + gamma sum(g) 1): TOKEN_COPY correlates the four
     * children of a parent per value index, PIXEL_SPLIT the four slots inside one child.
     */
    NDArray renoise(SamplingContext ctx, int transition, NDArray state, Blocks blocks, double stageEndT) {
        NDManager m = state.getManager();
        double a = RaluSchedule.signalScale(stageEndT, preset.z());
        double b = RaluSchedule.noiseScale(stageEndT, preset.z());
        float gamma = (float) RaluSchedule.blockGamma(preset.c());
        long n = state.getShape().get(1);
        NDArray g = ctx.random().normal(RENOISE_STREAM + transition, new Shape(1, n, 64), m)
                .toDevice(state.getDevice(), false);
        ctx.trace().randomNormals(RENOISE_STREAM + transition, g);
        long from = blocks.start();
        long to = from + 4L * blocks.parents();
        NDArray inBlocks = g.get(":, " + from + ":" + to + ", :");
        NDArray correlated = preset.variant().upsampling() == RaluPreset.Upsampling.TOKEN_COPY
                ? inBlocks.reshape(1, blocks.parents(), 4, 64)
                        .add(inBlocks.reshape(1, blocks.parents(), 4, 64).sum(new int[] {2}, true).mul(gamma))
                : inBlocks.reshape(1, 4L * blocks.parents(), 16, 4)
                        .add(inBlocks.reshape(1, 4L * blocks.parents(), 16, 4).sum(new int[] {3}, true).mul(gamma));
        NDList parts = new NDList();
        if (from > 0) {
            parts.add(g.get(":, 0:" + from + ", :"));
        }
        parts.add(correlated.reshape(1, to - from, 64));
        if (to < n) {
            parts.add(g.get(":, " + to + ":" + n + ", :"));
        }
        NDArray z = parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
        return state.mul((float) a).add(z.mul((float) b));
    }

    private static void closeAll(NDArray[] arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                a.close();
            }
        }
    }
}
