package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** The FLUX.1 checkpoint a job renders with. Wire names are lower case and case-sensitive. */
public enum Model {
    /** FLUX.1-dev: guidance-distilled, 50 steps by default, takes a guidance scale. */
    DEV("dev", 50, true),
    /** FLUX.1-schnell: timestep-distilled, 4 steps by default, has no guidance input. */
    SCHNELL("schnell", 4, false);

    private final String wireName;
    private final int defaultSteps;
    private final boolean takesGuidance;

    Model(String wireName, int defaultSteps, boolean takesGuidance) {
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

    /** The model with this exact wire name, if any. */
    public static Optional<Model> parse(String wireName) {
        return Arrays.stream(values()).filter(m -> m.wireName.equals(wireName)).findFirst();
    }

    @JsonCreator
    static Model fromWire(String wireName) {
        return parse(wireName).orElseThrow(() -> new IllegalArgumentException("unknown model '" + wireName + "'"));
    }
}
