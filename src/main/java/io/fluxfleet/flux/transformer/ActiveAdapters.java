package io.fluxfleet.flux.transformer;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;

/**
 * The adapters the current render applies, with their scales. The transformer owns one instance
 * shared by all its layers; a render binds its job's adapters for its duration and unbinds them
 * after, so the base weights are never modified and the next job starts clean.
 */
public final class ActiveAdapters {

    /** One adapter's updates by canonical layer name (e.g. {@code double_blocks.0.img_attn.qkv}). */
    public record Applied(Map<String, LowRankUpdate> updates, float scale) {}

    private volatile List<Applied> applied = List.of();

    /** Applies {@code adapters} until the returned handle is closed. */
    public Binding bind(List<Applied> adapters) {
        if (!applied.isEmpty()) {
            throw new IllegalStateException("adapters are already bound: one render at a time per transformer");
        }
        applied = List.copyOf(adapters);
        return () -> applied = List.of();
    }

    /** y + s * up (down x) for every bound adapter that changes this layer; a zero scale adds nothing. */
    NDArray addSidePaths(String layer, NDArray x, NDArray y) {
        NDArray out = y;
        for (Applied a : applied) {
            LowRankUpdate update = a.updates().get(layer);
            if (update != null && a.scale() != 0f) {
                out = out.add(update.sidePath(x, a.scale()));
            }
        }
        return out;
    }

    public List<Applied> current() {
        return applied;
    }

    /** Ends a binding. */
    @FunctionalInterface
    public interface Binding extends AutoCloseable {
        @Override
        void close();
    }
}
