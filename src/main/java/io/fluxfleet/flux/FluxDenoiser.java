package io.fluxfleet.flux;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.transformer.FluxTransformer;
import io.fluxfleet.sampling.DenoisingModel;

/**
 * The transformer with one job's text conditioning bound: what samplers call. A batch of B
 * token sets shares the same prompt conditioning.
 */
public final class FluxDenoiser implements DenoisingModel {

    private final FluxTransformer transformer;
    private final NDArray txt; // [1, T, contextDim]
    private final NDArray pooled; // [1, vecDim]
    private final Float guidance; // null for schnell
    private long tokenEvaluations;

    public FluxDenoiser(FluxTransformer transformer, NDArray txt, NDArray pooled, Float guidance) {
        this.transformer = transformer;
        this.txt = txt;
        this.pooled = pooled;
        this.guidance = transformer.config().guidanceEmbed() ? (guidance == null ? 3.5f : guidance) : null;
    }

    @Override
    public NDArray velocity(NDArray tokens, NDArray ids, float sigma) {
        NDManager m = tokens.getManager();
        long batch = tokens.getShape().get(0);
        long textLength = txt.getShape().get(1);
        try (NDManager call = m.newSubManager()) {
            NDArray text = batch == 1 ? txt : txt.repeat(0, batch);
            NDArray vec = batch == 1 ? pooled : pooled.repeat(0, batch);
            FluxTransformer.Input in = new FluxTransformer.Input(tokens, ids, text,
                    call.zeros(new Shape(batch, textLength, 3)), call.full(new Shape(batch), sigma),
                    vec, guidance == null ? null : call.full(new Shape(batch), guidance));
            NDArray v = transformer.forward(in);
            v.attach(m); // outlives the call scope; the caller owns it
            tokenEvaluations += batch * tokens.getShape().get(1);
            return v;
        }
    }

    @Override
    public long tokenEvaluations() {
        return tokenEvaluations;
    }
}
