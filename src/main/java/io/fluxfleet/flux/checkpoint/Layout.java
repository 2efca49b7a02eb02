package io.fluxfleet.flux.checkpoint;

import java.util.List;
import java.util.Set;

/** Maps a component's canonical weights (its {@link WeightSpec}) onto one stored layout. */
@FunctionalInterface
public interface Layout {

    /**
     * @param storedNames the names the checkpoint holds, for layouts with alternatives (a tied
     *     embedding stored under either of two names, say); ignore it otherwise
     */
    List<Recipe> recipes(WeightSpec spec, Set<String> storedNames);

    /** The layout whose stored names are the canonical names. */
    Layout CANONICAL = (spec, stored) -> spec.shapes().entrySet().stream()
            .map(e -> Recipe.rename(e.getKey(), e.getValue(), e.getKey()))
            .toList();
}
