package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import io.fluxfleet.sampling.jit.BetaSchedule;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code custom} object of {@code acceleration: "custom"}, checked at intake with the same rigour
 * as the rest of the request, so that a bad preset fails once with a validation code instead of on a
 * device (docs/job-contract.md, "Custom presets"):
 * <ul>
 *   <li>unknown fields are UNKNOWN_FIELD with a "did you mean";</li>
 *   <li>every step budget (JiT {@code steps}, the sum of RALU's {@code steps}) is TOO_MANY_STEPS
 *       above the tenant's step limit, like the request's own {@code steps};</li>
 *   <li>densities, Beta parameters, blend weight, stage ends, shifts, Z and the upsample ratio
 *       outside their ranges are INVALID_PRESET;</li>
 *   <li>a JiT Beta schedule that does not converge or degenerates (sigmas not strictly falling
 *       from 1 to 0 in the float precision the sampler uses) is INVALID_PRESET.</li>
 * </ul>
 * The sampler's own constructors check the same ranges again when the job runs.
 */
final class CustomPresetValidator {

    /** Where problems go: the request check's error list. */
    interface Problems {
        void add(ErrorCode code, String field, String message);
    }

    // Field names per sampler; a new preset option is added here and in docs/job-contract.md.
    static final Map<String, Set<String>> FIELDS = Map.of(
            "jit", ordered("sampler", "steps", "stageStarts", "densities", "betaAlpha", "betaBeta", "blendWeight",
                    "zeroPaddedImportance"),
            "ralu", ordered("sampler", "steps", "ends", "upsampleRatio", "shifts", "z", "imageSpaceEdges"));

    static final int MAX_JIT_STAGES = 8;
    static final double MIN_BETA_PARAMETER = 0.05;
    static final double MAX_BETA_PARAMETER = 20;
    static final double MIN_SHIFT = 0.5;
    static final double MAX_SHIFT = 10;
    static final double MIN_Z = 2;
    static final double MAX_Z = 100;

    private final JsonNode custom;
    private final int maxSteps;
    private final Problems problems;

    private CustomPresetValidator(JsonNode custom, int maxSteps, Problems problems) {
        this.custom = custom;
        this.maxSteps = maxSteps;
        this.problems = problems;
    }

    /** Reports every problem of a custom object (already known to be a JSON object). */
    static void check(JsonNode custom, int maxSteps, Problems problems) {
        new CustomPresetValidator(custom, maxSteps, problems).run();
    }

    private void run() {
        JsonNode samplerNode = custom.get("sampler");
        String sampler = samplerNode != null && samplerNode.isTextual() ? samplerNode.textValue() : null;
        if (sampler == null || !FIELDS.containsKey(sampler)) {
            problems.add(samplerNode == null ? ErrorCode.MISSING_FIELD : ErrorCode.INVALID_PRESET, "custom.sampler",
                    "custom.sampler must be \"jit\" or \"ralu\"");
            return;
        }
        Set<String> known = FIELDS.get(sampler);
        for (Iterator<String> names = custom.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = FieldReader.closest(name, known);
                problems.add(ErrorCode.UNKNOWN_FIELD, "custom." + name, "unknown field 'custom." + name + "' for the "
                        + sampler + " sampler" + (hint == null ? "" : "; did you mean 'custom." + hint + "'?"));
            }
        }
        if (sampler.equals("jit")) {
            jit();
        } else {
            ralu();
        }
    }

    private void jit() {
        Integer steps = integer("steps", true);
        if (steps != null && steps < 2) {
            invalid("steps", "custom.steps must be at least 2");
            steps = null;
        } else if (steps != null && steps > maxSteps) {
            problems.add(ErrorCode.TOO_MANY_STEPS, "custom.steps", "custom.steps is " + steps + "; the limit is " + maxSteps);
            steps = null;
        }
        double[] densities = numbers("densities", true, MAX_JIT_STAGES);
        if (densities != null) {
            for (int k = 0; k < densities.length; k++) {
                if (!(densities[k] > 0 && densities[k] <= 1) || (k > 0 && densities[k] <= densities[k - 1])) {
                    invalid("densities", "custom.densities must increase within (0, 1]");
                    densities = null;
                    break;
                }
            }
        }
        if (densities != null && densities[densities.length - 1] != 1.0) {
            invalid("densities", "the last of custom.densities must be 1.0 (the last stage runs every token)");
        }
        int[] starts = integers("stageStarts", false, MAX_JIT_STAGES);
        if (densities != null && steps != null) {
            if (starts == null && custom.get("stageStarts") == null && densities.length != 1 && densities.length != 3) {
                invalid("stageStarts", "custom.stageStarts is required unless there are 1 or 3 densities");
            } else if (starts != null && !validStarts(starts, densities.length, steps)) {
                invalid("stageStarts", "custom.stageStarts needs one start per density, the first 0, increasing, below steps");
            }
        }
        Double alpha = number("betaAlpha", MIN_BETA_PARAMETER, MAX_BETA_PARAMETER);
        Double beta = number("betaBeta", MIN_BETA_PARAMETER, MAX_BETA_PARAMETER);
        Double blend = number("blendWeight", 0, 1);
        if (blend != null && blend == 0) {
            invalid("blendWeight", "custom.blendWeight must be within (0, 1]");
        }
        bool("zeroPaddedImportance");
        if (steps != null && alpha != null && beta != null) {
            String problem = betaScheduleProblem(steps, alpha, beta);
            if (problem != null) {
                invalid("betaAlpha", problem);
            }
        }
    }

    /** Null, or why Beta(alpha, beta) gives no usable schedule of this many steps. */
    static String betaScheduleProblem(int steps, double alpha, double beta) {
        float[] sigmas;
        try {
            sigmas = BetaSchedule.sigmas(steps, alpha, beta);
        } catch (RuntimeException e) {
            return "the Beta(" + alpha + ", " + beta + ") schedule does not converge for " + steps + " steps: " + e.getMessage();
        }
        for (int i = 0; i + 1 < sigmas.length; i++) {
            if (!Float.isFinite(sigmas[i]) || sigmas[i] > 1 || !(sigmas[i] > sigmas[i + 1])) {
                return "the Beta(" + alpha + ", " + beta + ") schedule degenerates for " + steps
                        + " steps: noise levels " + i + " and " + (i + 1) + " are not strictly falling ("
                        + sigmas[i] + ", " + sigmas[i + 1] + "); bring betaAlpha and betaBeta closer to 1";
            }
        }
        return null;
    }

    private void ralu() {
        int[] steps = integers("steps", true, 3);
        if (steps != null) {
            long total = 0;
            for (int s : steps) {
                total += s;
            }
            if (steps.length != 3 || java.util.Arrays.stream(steps).anyMatch(s -> s < 1)) {
                invalid("steps", "custom.steps needs three step counts of at least 1 (low-res, mixed, full)");
            } else if (total > maxSteps) {
                problems.add(ErrorCode.TOO_MANY_STEPS, "custom.steps", "custom.steps add up to " + total
                        + "; the limit is " + maxSteps);
            }
        }
        double[] ends = numbers("ends", true, 3);
        if (ends != null && !(ends.length == 3 && ends[0] > 0 && ends[0] < ends[1] && ends[1] < 1 && ends[2] == 1)) {
            invalid("ends", "custom.ends needs three stage ends increasing within (0, 1), the last 1");
        }
        Double ratio = number("upsampleRatio", 0, 1);
        if (ratio != null && (ratio == 0 || ratio == 1)) {
            invalid("upsampleRatio", "custom.upsampleRatio must be within (0, 1)");
        }
        boolean hasShifts = custom.hasNonNull("shifts");
        boolean hasZ = custom.hasNonNull("z");
        if (hasShifts != hasZ) {
            problems.add(ErrorCode.MISSING_FIELD, hasShifts ? "custom.z" : "custom.shifts",
                    "custom.shifts and custom.z go together: give both, or neither to have them fitted");
        }
        double[] shifts = numbers("shifts", false, 3);
        if (shifts != null && (shifts.length != 3
                || java.util.Arrays.stream(shifts).anyMatch(h -> !(h >= MIN_SHIFT && h <= MAX_SHIFT)))) {
            invalid("shifts", "custom.shifts needs three shifts within [" + MIN_SHIFT + ", " + MAX_SHIFT + "]");
        }
        number("z", MIN_Z, MAX_Z);
        bool("imageSpaceEdges");
    }

    private static boolean validStarts(int[] starts, int stages, int steps) {
        if (starts.length != stages || starts[0] != 0) {
            return false;
        }
        for (int k = 1; k < starts.length; k++) {
            if (starts[k] <= starts[k - 1] || starts[k] >= steps) {
                return false;
            }
        }
        return true;
    }

    private void invalid(String field, String message) {
        problems.add(ErrorCode.INVALID_PRESET, "custom." + field, message);
    }

    private Integer integer(String field, boolean required) {
        JsonNode n = custom.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                problems.add(ErrorCode.MISSING_FIELD, "custom." + field, "custom." + field + " is required");
            }
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + " must be an integer");
            return null;
        }
        return n.intValue();
    }

    /** A number within [min, max], null when absent or (reported) not. */
    private Double number(String field, double min, double max) {
        JsonNode n = custom.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + " must be a number");
            return null;
        }
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) {
            invalid(field, "custom." + field + " must be within [" + min + ", " + max + "], got " + n.asText());
            return null;
        }
        return v;
    }

    private void bool(String field) {
        JsonNode n = custom.get(field);
        if (n != null && !n.isNull() && !n.isBoolean()) {
            problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + " must be true or false");
        }
    }

    private JsonNode array(String field, boolean required, int maxLength) {
        JsonNode n = custom.get(field);
        if (n == null || n.isNull()) {
            if (required) {
                problems.add(ErrorCode.MISSING_FIELD, "custom." + field, "custom." + field + " is required");
            }
            return null;
        }
        if (!n.isArray() || n.isEmpty() || n.size() > maxLength) {
            problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + " must be an array of 1-"
                    + maxLength + " values");
            return null;
        }
        return n;
    }

    private int[] integers(String field, boolean required, int maxLength) {
        JsonNode n = array(field, required, maxLength);
        if (n == null) {
            return null;
        }
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isIntegralNumber() || !n.get(i).canConvertToInt()) {
                problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + "[" + i + "] must be an integer");
                return null;
            }
            out[i] = n.get(i).intValue();
        }
        return out;
    }

    private double[] numbers(String field, boolean required, int maxLength) {
        JsonNode n = array(field, required, maxLength);
        if (n == null) {
            return null;
        }
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isNumber() || !Double.isFinite(n.get(i).doubleValue())) {
                problems.add(ErrorCode.INVALID_FIELD, "custom." + field, "custom." + field + "[" + i + "] must be a number");
                return null;
            }
            out[i] = n.get(i).doubleValue();
        }
        return out;
    }

    private static Set<String> ordered(String... names) {
        return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(List.of(names)));
    }
}
