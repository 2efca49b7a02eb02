package io.fluxfleet.flux.text;

import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.Recipe;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import java.util.List;
import java.util.Set;

/**
 * The Hugging Face T5 encoder layout: canonical names, except that the token embedding (tied
 * between {@code shared} and {@code encoder.embed_tokens}) may be stored under either name.
 */
public final class T5Layout implements Layout {

    public static final String SHARED = "shared.weight";
    public static final String ENCODER_EMBED = "encoder.embed_tokens.weight";

    public static final T5Layout INSTANCE = new T5Layout();

    private T5Layout() {}

    @Override
    public List<Recipe> recipes(WeightSpec spec, Set<String> storedNames) {
        // shared.weight when stored (or when nothing is: writing, or reporting it missing).
        String embedding = !storedNames.contains(SHARED) && storedNames.contains(ENCODER_EMBED) ? ENCODER_EMBED : SHARED;
        return spec.shapes().entrySet().stream()
                .map(e -> Recipe.rename(e.getKey(), e.getValue(), e.getKey().equals(SHARED) ? embedding : e.getKey()))
                .toList();
    }
}
