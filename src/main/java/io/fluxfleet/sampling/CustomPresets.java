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
 * A job's {@code custom} acceleration object, turned into a validated sampler. Two forms:
 *
 * <pre>
 * {"sampler": "jit", "steps": 14, "stageStarts": [0, 5, 9], "densities": [0.3, 0.6, 1.0],
 *  "betaAlpha": 1.4, "betaBeta": 0.42, "blendWeight": 1.0, "zeroPaddedImportance": false}
 * {"sampler": "ralu", "steps": [3, 4, 5], "ends": [0.25, 0.4, 1.0], "upsampleRatio": 0.2,
 *  "shifts": [5.1, 2.6, 2.2], "z": 7.5, "imageSpaceEdges": false}
 * </pre>
 *
 * JiT: stageStarts defaults to the paper's floor(0.40 T), floor(0.65 T); Beta, blend and padding
 * to the presets'. RALU: without shifts and z they are fitted to the step budget
 * ({@link RaluFitter}). Any problem is an {@link IllegalArgumentException} naming the field.
 */
public final class CustomPresets {

    private CustomPresets() {}

    public static Sampler parse(JsonNode custom, boolean distilled, int imageTokens) {
        if (custom == null || !custom.isObject()) {
            throw new IllegalArgumentException("custom: an object with \"sampler\": \"jit\" or \"ralu\" is required");
        }
        String sampler = custom.path("sampler").asText("");
        return switch (sampler) {
            case "jit" -> new JitSampler(jit(custom));
            case "ralu" -> new RaluSampler(ralu(custom, distilled, imageTokens));
            default -> throw new IllegalArgumentException("custom.sampler must be \"jit\" or \"ralu\", got \"" + sampler + "\"");
        };
    }

    static JitPreset jit(JsonNode c) {
        int steps = requiredInt(c, "steps");
        double[] densities = doubles(c, "densities", true);
        int[] starts = c.has("stageStarts") ? ints(c, "stageStarts") : defaultStarts(steps, densities.length);
        return new JitPreset("custom-jit", steps, starts, densities, c.path("betaAlpha").asDouble(JitPreset.DEFAULT_ALPHA),
                c.path("betaBeta").asDouble(JitPreset.DEFAULT_BETA), c.path("blendWeight").asDouble(1.0),
                c.path("zeroPaddedImportance").asBoolean(false));
    }

    static RaluPreset ralu(JsonNode c, boolean distilled, int imageTokens) {
        int[] steps = ints(c, "steps");
        double[] ends = doubles(c, "ends", true);
        double r = c.path("upsampleRatio").asDouble(0.2);
        boolean image = c.path("imageSpaceEdges").asBoolean(false);
        RaluPreset preset;
        if (c.has("shifts") || c.has("z")) {
            preset = new RaluPreset("custom-ralu", steps, ends, doubles(c, "shifts", true), requiredDouble(c, "z"), r,
                    image);
        } else {
            RaluPreset start = distilled ? RaluPreset.ralu7x() : RaluPreset.ralu5x();
            preset = RaluFitter.fit("custom-ralu", steps, ends, r, imageTokens, start).preset().withImageSpaceEdges(image);
        }
        return preset;
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
