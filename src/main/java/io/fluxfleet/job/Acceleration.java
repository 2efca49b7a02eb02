package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * Sampler presets a job may ask for (docs: shared/spec/jit.md, ralu.md). A request that names none
 * gets the fleet's configured default, {@link #FLEET_DEFAULT} unless configured otherwise.
 */
public enum Acceleration {
    /** The full Euler sampler, every token at every step. */
    NONE("none"),
    JIT_4X("jit-4x"),
    JIT_7X("jit-7x"),
    RALU_4X("ralu-4x"),
    RALU_5X("ralu-5x"),
    RALU_7X("ralu-7x"),
    /** Parameters come from the request's {@code custom} object, validated by the sampler. */
    CUSTOM("custom");

    /** The preset a request without {@code acceleration} gets unless the fleet is configured otherwise. */
    public static final Acceleration FLEET_DEFAULT = JIT_4X;

    private final String wireName;

    Acceleration(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** The preset with this exact wire name, if any. */
    public static Optional<Acceleration> parse(String wireName) {
        return Arrays.stream(values()).filter(a -> a.wireName.equals(wireName)).findFirst();
    }

    @JsonCreator
    static Acceleration fromWire(String wireName) {
        return parse(wireName).orElseThrow(() -> new IllegalArgumentException("unknown acceleration '" + wireName + "'"));
    }
}
