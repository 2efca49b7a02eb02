package io.fluxfleet.sampling;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.sampling.jit.JitPreset;
import io.fluxfleet.sampling.jit.JitSampler;
import io.fluxfleet.sampling.ralu.RaluFitter;
import io.fluxfleet.sampling.ralu.RaluPreset;
import io.fluxfleet.sampling.ralu.RaluSampler;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's {@code custom} acceleration object, turned into a validated sampler. Two forms (every
 * field after the stage layout optional, defaults = the reference code's):
 *
 * <pre>
 * {"sampler": "jit", "steps": 14, "stageStarts": [0, 5, 9], "densities": [0.3, 0.6, 1.0],
 *  "betaAlpha": 1.4, "betaBeta": 0.425, "blendWeight": 0.3333,
 *  "importancePadding": "zero", "blurPadding": "reflect"}
 * {"sampler": "ralu", "steps": [3, 4, 5], "ends": [0.25, 0.4, 1.0], "upsampleRatio": 0.3,
 *  "shifts": [5.1, 2.6, 2.2], "z": 7.5,
 *  "edgeScoring": "image-canny", "grayMapping": "clipped", "upsampling": "token-copy"}
 * </pre>
 *
 * Our own variants are named options: JiT {@code blendWeight: 1} (the paper's exact arrival),
 * {@code importancePadding: "replicate"}, {@code blurPadding: "normalized-zero"}; RALU
 * {@code edgeScoring: "latent-sobel"}, {@code grayMapping: "full-range"},
 * {@code upsampling: "pixel-split"}. JiT stageStarts defaults to floor(0.40 T), floor(0.65 T).
 * RALU without shifts and z fits them to the step budget ({@link RaluFitter}, NT-DM). Any problem
 * is an {@link IllegalArgumentException} naming the field.
 */
public final class CustomPresets {

    /** The option names a custom object may carry, per sampler (for validators). */
    public static final List<String> JIT_FIELDS = List.of("sampler", "steps", "stageStarts", "densities", "betaAlpha",
            "betaBeta", "blendWeight", "importancePadding", "blurPadding");
    public static final List<String> RALU_FIELDS = List.of("sampler", "steps", "ends", "upsampleRatio", "shifts", "z",
            "edgeScoring", "grayMapping", "upsampling");

    private CustomPresets() {}

    /** @param imageTokens the image's token count (kept for callers; NT-DM does not depend on it) */
    public static Sampler parse(JsonNode custom, boolean distilled, int imageTokens) {
        if (custom == null || !custom.isObject()) {
            throw new IllegalArgumentException("custom: an object with \"sampler\": \"jit\" or \"ralu\" is required");
        }
        String sampler = custom.path("sampler").asText("");
        return switch (sampler) {
            case "jit" -> new JitSampler(jit(custom));
            case "ralu" -> new RaluSampler(ralu(custom));
            default -> throw new IllegalArgumentException("custom.sampler must be \"jit\" or \"ralu\", got \"" + sampler + "\"");
        };
    }

    static JitPreset jit(JsonNode c) {
        int steps = requiredInt(c, "steps");
        double[] densities = doubles(c, "densities", true);
        int[] starts = c.has("stageStarts") ? ints(c, "stageStarts") : defaultStarts(steps, densities.length);
        return new JitPreset("custom-jit", steps, starts, densities, c.path("betaAlpha").asDouble(JitPreset.DEFAULT_ALPHA),
                c.path("betaBeta").asDouble(JitPreset.DEFAULT_BETA),
                c.path("blendWeight").asDouble(JitPreset.DEFAULT_BLEND_WEIGHT),
                option(c, "importancePadding", JitPreset.ImportancePadding.class, JitPreset.ImportancePadding.ZERO),
                option(c, "blurPadding", JitPreset.BlurPadding.class, JitPreset.BlurPadding.REFLECT));
    }

    static RaluPreset ralu(JsonNode c) {
        int[] steps = ints(c, "steps");
        double[] ends = doubles(c, "ends", true);
        double r = c.path("upsampleRatio").asDouble(0.3);
        RaluPreset.Variant reference = RaluPreset.Variant.REFERENCE;
        RaluPreset.Variant variant = new RaluPreset.Variant(
                option(c, "edgeScoring", RaluPreset.EdgeScoring.class, reference.edges()),
                option(c, "grayMapping", RaluPreset.GrayMapping.class, reference.gray()),
                option(c, "upsampling", RaluPreset.Upsampling.class, reference.upsampling()));
        if (c.has("shifts") || c.has("z")) {
            return new RaluPreset("custom-ralu", steps, ends, doubles(c, "shifts", true), requiredDouble(c, "z"), r,
                    variant);
        }
        return RaluFitter.fit("custom-ralu", steps, ends, r, variant).preset();
    }

    /** A named option in kebab case ("normalized-zero" for NORMALIZED_ZERO), or the default when absent. */
    static <E extends Enum<E>> E option(JsonNode c, String field, Class<E> type, E fallback) {
        JsonNode n = c.get(field);
        if (n == null) {
            return fallback;
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            String name = e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            names.add(name);
            if (n.isTextual() && n.asText().equals(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("custom." + field + " must be one of " + String.join(", ", names));
    }

    private static int[] defaultStarts(int steps, int stages) {
        if (stages == 1) {
            return new int[] {0};
        }
        if (stages == 3) {
            return new int[] {0, (int) Math.floor(0.40 * steps), (int) Math.floor(0.65 * steps)};
        }
        throw new IllegalArgumentException("custom.stageStarts is required unless there are 1 or 3 densities");
    }

    private static int requiredInt(JsonNode c, String field) {
        JsonNode n = c.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
            throw new IllegalArgumentException("custom." + field + " must be an integer");
        }
        return n.asInt();
    }

    private static double requiredDouble(JsonNode c, String field) {
        JsonNode n = c.get(field);
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException("custom." + field + " must be a number");
        }
        return n.asDouble();
    }

    private static int[] ints(JsonNode c, String field) {
        JsonNode n = c.get(field);
        if (n == null || !n.isArray() || n.isEmpty()) {
            throw new IllegalArgumentException("custom." + field + " must be a non-empty array of integers");
        }
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isIntegralNumber()) {
                throw new IllegalArgumentException("custom." + field + "[" + i + "] must be an integer");
            }
            out[i] = n.get(i).asInt();
        }
        return out;
    }

    private static double[] doubles(JsonNode c, String field, boolean required) {
        JsonNode n = c.get(field);
        if (n == null || !n.isArray() || n.isEmpty()) {
            throw new IllegalArgumentException("custom." + field + " must be a non-empty array of numbers");
        }
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isNumber()) {
                throw new IllegalArgumentException("custom." + field + "[" + i + "] must be a number");
            }
            values.add(n.get(i).asDouble());
        }
        return values.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
