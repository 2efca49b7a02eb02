package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;

/**
 * A low-rank change of one Linear layer, delta W = up * down, with any per-file scaling
 * (alpha / rank) already folded into {@code up}.
 *
 * @param down [rank, in] (PEFT lora_A, kohya lora_down)
 * @param up [out, rank] (PEFT lora_B, kohya lora_up)
 */
public record LowRankUpdate(NDArray down, NDArray up) {

    /** s * up (down x) for x [..., in]: the side path, never forming the [out, in] product. */
    public NDArray sidePath(NDArray x, float scale) {
        NDArray h = ai.djl.nn.core.Linear.linear(x, down, null).singletonOrThrow();
        return ai.djl.nn.core.Linear.linear(h.mul(scale), up, null).singletonOrThrow();
    }
}
