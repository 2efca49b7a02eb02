package io.fluxfleet.job;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The models a validator accepts by name: {@link #BUILT_IN} (dev and schnell) where no catalog is
 * known, else the fleet catalog's models (io.fluxfleet.routing.ModelCatalog).
 */
public final class KnownModels {

    public static final String NAME_RULE = "1-64 characters of a-z 0-9 . _ -, starting with a letter or digit";
    /** The rule of a model name, as the JSON schemas state it. */
    public static final String NAME_REGEX = "^[a-z0-9][a-z0-9._-]{0,63}$";
    private static final Pattern NAME = Pattern.compile(NAME_REGEX);

    public static final KnownModels BUILT_IN = of(List.of(
            ModelDefinition.builtIn(ModelKind.DEV), ModelDefinition.builtIn(ModelKind.SCHNELL)));

    /** The model of a job that names none. */
    public static final String DEFAULT_NAME = ModelKind.DEV.wireName();

    private final Map<String, ModelDefinition> byName;

    private KnownModels(Map<String, ModelDefinition> byName) {
        this.byName = byName;
    }

    /** Throws IllegalArgumentException when two models share a name or there are none. */
    public static KnownModels of(Collection<ModelDefinition> models) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("at least one model is needed");
        }
        Map<String, ModelDefinition> byName = new LinkedHashMap<>();
        for (ModelDefinition model : models) {
            if (byName.putIfAbsent(model.name(), model) != null) {
                throw new IllegalArgumentException("model " + model.name() + " is named twice");
            }
        }
        return new KnownModels(java.util.Collections.unmodifiableMap(byName));
    }

    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public Optional<ModelDefinition> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The names, in catalog order. */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    @Override
    public String toString() {
        return byName.keySet().toString();
    }
}
