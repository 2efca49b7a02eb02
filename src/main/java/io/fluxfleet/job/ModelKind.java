package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * Which FLUX.1 variant a checkpoint is: it decides whether a job takes a guidance scale, the default
 * steps and the schnell rules. A job names a model ({@link ModelDefinition}); a fine-tuned checkpoint
 * in the fleet's catalog is of one of these kinds. Wire names are lower case and case-sensitive.
 */
public enum ModelKind {
    /** FLUX.1-dev and its fine-tunes: guidance-distilled, 50 steps by default, takes a guidance scale. */
    DEV("dev", 50, true),
    /** FLUX.1-schnell and its fine-tunes: timestep-distilled, 4 steps by default, has no guidance input. */
    SCHNELL("schnell", 4, false);

    private final String wireName;
    private final int defaultSteps;
    private final boolean takesGuidance;

    ModelKind(String wireName, int defaultSteps, boolean takesGuidance) {
        this.wireName = wireName;
        this.defaultSteps = defaultSteps;
        this.takesGuidance = takesGuidance;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    public int defaultSteps() {
        return defaultSteps;
    }

    public boolean takesGuidance() {
        return takesGuidance;
    }

    /** The kind with this exact wire name, if any. */
    public static Optional<ModelKind> parse(String wireName) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(wireName)).findFirst();
    }

    @JsonCreator
    static ModelKind fromWire(String wireName) {
        return parse(wireName).orElseThrow(() -> new IllegalArgumentException("unknown model kind '" + wireName + "'"));
    }
}
