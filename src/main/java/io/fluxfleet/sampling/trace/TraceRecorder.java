package io.fluxfleet.sampling.trace;

import ai.djl.ndarray.NDArray;
import io.fluxfleet.sampling.SamplingTrace;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Keeps what a sampler reports, on the host, for {@link TraceFiles}: the initial noise, every
 * random draw (the first draw of each named stream: streams restart from the seed, so a repeated
 * draw is the same numbers), every stage's joined tokens and every model call's sigma and token
 * positions. The per-step states are not kept (they would be 4 MB per step at 1024x1024).
 */
public final class TraceRecorder implements SamplingTrace {

    /** A tensor as recorded: shape and fp32 values. */
    public record Values(long[] shape, float[] data) {}

    /** @param joined (row, col) pairs in the stage's id units; full-grid cell = id * idScale */
    public record Stage(int stage, float[] joined, float idScale) {
        public int tokens() {
            return joined.length / 2;
        }
    }

    /** @param positions (row, col) pairs of the tokens sent, in the order sent, in the stage's id units */
    public record Call(int step, int stage, float sigma, float[] positions) {
        public int tokens() {
            return positions.length / 2;
        }
    }

    private Values initialNoise;
    private final Map<String, Values> draws = new LinkedHashMap<>();
    private final Map<String, Boolean> drawIsIndices = new LinkedHashMap<>();
    private final List<Stage> stages = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();

    @Override
    public void initialNoise(NDArray noise) {
        initialNoise = new Values(noise.getShape().getShape(), noise.toFloatArray());
    }

    @Override
    public void randomNormals(String stream, NDArray values) {
        if (!draws.containsKey(stream)) {
            draws.put(stream, new Values(values.getShape().getShape(), values.toFloatArray()));
            drawIsIndices.put(stream, false);
        }
    }

    @Override
    public void randomIndices(String stream, int[] values) {
        if (!draws.containsKey(stream)) {
            float[] f = new float[values.length];
            for (int i = 0; i < f.length; i++) {
                f[i] = values[i]; // exact below 2^24
            }
            draws.put(stream, new Values(new long[] {values.length}, f));
            drawIsIndices.put(stream, true);
        }
    }

    @Override
    public void stage(int stage, float[][] joined, float idScale) {
        float[] flat = new float[joined.length * 2];
        for (int i = 0; i < joined.length; i++) {
            flat[2 * i] = joined[i][0];
            flat[2 * i + 1] = joined[i][1];
        }
        stages.add(new Stage(stage, flat, idScale));
    }

    @Override
    public void modelCall(int step, float sigma, NDArray ids) {
        float[] all = ids.toFloatArray(); // (0, row, col) per token
        float[] positions = new float[all.length / 3 * 2];
        for (int i = 0; i < all.length / 3; i++) {
            positions[2 * i] = all[3 * i + 1];
            positions[2 * i + 1] = all[3 * i + 2];
        }
        calls.add(new Call(step, stages.isEmpty() ? 0 : stages.get(stages.size() - 1).stage(), sigma, positions));
    }

    /** Forgets everything recorded (a render retried in place records afresh); returns this recorder. */
    public TraceRecorder reset() {
        initialNoise = null;
        draws.clear();
        drawIsIndices.clear();
        stages.clear();
        calls.clear();
        return this;
    }

    public Values initialNoise() {
        return initialNoise;
    }

    public Map<String, Values> draws() {
        return draws;
    }

    public boolean isIndices(String stream) {
        return drawIsIndices.getOrDefault(stream, false);
    }

    public List<Stage> stages() {
        return stages;
    }

    public List<Call> calls() {
        return calls;
    }
}
