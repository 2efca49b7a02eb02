package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;

/**
 * The golden-trajectory tests' model: v = -0.6 y + 0.05 row - 0.03 col + 0.2 sigma per value, with
 * the ids as sent, so every token's velocity is known in closed form from its value and position.
 */
public final class ToyVelocityModel implements DenoisingModel {

    private long evaluations;

    /** The same velocity for one value, for the tests' own transcriptions of the specs. */
    public static double velocity(double y, double row, double col, double sigma) {
        return -0.6 * y + 0.05 * row - 0.03 * col + 0.2 * sigma;
    }

    @Override
    public NDArray velocity(NDArray tokens, NDArray ids, float sigma) {
        evaluations += tokens.getShape().get(1);
        NDArray pos = ids.get(":, :, 1:2").mul(0.05f).add(ids.get(":, :, 2:3").mul(-0.03f));
        return tokens.mul(-0.6f).add(pos).add(0.2f * sigma);
    }

    @Override
    public long tokenEvaluations() {
        return evaluations;
    }

    /** Keeps what a sampler reports: the ids of every model call, its sigma and the state after every step. */
    public static final class Recorder implements SamplingTrace {
        public final List<float[]> ids = new ArrayList<>();
        public final List<Float> sigmas = new ArrayList<>();
        public final List<float[]> states = new ArrayList<>();

        @Override
        public void modelCall(int step, float sigma, NDArray sent) {
            ids.add(sent.toFloatArray());
            sigmas.add(sigma);
        }

        @Override
        public void state(int step, NDArray y) {
            states.add(y.toFloatArray());
        }
    }
}
