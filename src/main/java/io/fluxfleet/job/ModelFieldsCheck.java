package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The request's {@code model}, {@code steps} and {@code guidance}: the name resolves to one of the
 * validator's known models, whose kind decides whether guidance is taken and whose (catalog) defaults
 * fill the steps and guidance a job leaves out.
 */
final class ModelFieldsCheck {

    /** What the three fields come to; {@code steps} is valid even after a reported problem. */
    record Resolved(String model, int steps, Double guidance) {
    }

    private final FieldReader in;
    private final KnownModels models;
    private final int maxSteps;

    ModelFieldsCheck(FieldReader in, KnownModels models, int maxSteps) {
        this.in = in;
        this.models = models;
        this.maxSteps = maxSteps;
    }

    Resolved check(ObjectNode root) {
        String name = KnownModels.DEFAULT_NAME;
        ModelDefinition model = models.find(name).orElse(null);
        JsonNode nameNode = in.present(root, "model");
        String requested = in.string(root, "model", "model");
        if (requested != null) {
            name = requested;
            model = models.find(requested).orElse(null);
            if (model == null) {
                in.add(ErrorCode.UNKNOWN_MODEL, "model", "unknown model '" + requested + "'; this fleet knows "
                        + String.join(", ", models.names()));
            }
        } else if (nameNode == null && model == null) {
            // A catalog without dev: the default names no model of this fleet.
            in.add(ErrorCode.UNKNOWN_MODEL, "model", "the default model '" + KnownModels.DEFAULT_NAME
                    + "' is not one of this fleet's; name one of " + String.join(", ", models.names()));
        }
        int steps = steps(root, model);
        Double guidance = guidance(root, model);
        return new Resolved(KnownModels.isValidName(name) ? name : KnownModels.DEFAULT_NAME, steps, guidance);
    }

    private int steps(ObjectNode root, ModelDefinition model) {
        int steps = model == null ? ModelKind.DEV.defaultSteps() : model.defaultSteps();
        Long requested = in.integer(root, "steps", "steps");
        if (requested != null) {
            if (requested < 1) {
                in.add(ErrorCode.INVALID_FIELD, "steps", "steps must be at least 1");
            } else if (requested > maxSteps) {
                in.add(ErrorCode.TOO_MANY_STEPS, "steps", "steps is " + requested + "; the limit is " + maxSteps);
            } else {
                steps = requested.intValue();
            }
        } else if (in.absent(root, "steps") && model != null && model.defaults().steps() != null && steps > maxSteps) {
            // A catalog default above the limit (a tenant's may be lower) must not bypass it; the kinds'
            // own defaults are the contract's and stay as they are.
            in.add(ErrorCode.TOO_MANY_STEPS, "steps", "model " + model.name() + " defaults to " + steps
                    + " steps; the limit is " + maxSteps + ": send steps");
        }
        return steps;
    }

    /** A model that is not known takes guidance, so that its one error is UNKNOWN_MODEL. */
    private Double guidance(ObjectNode root, ModelDefinition model) {
        Double guidance = model == null ? Double.valueOf(JobRequest.DEFAULT_GUIDANCE) : model.defaultGuidance();
        JsonNode node = in.present(root, "guidance");
        if (node == null) {
            return guidance;
        }
        if (!node.isNumber()) {
            in.add(ErrorCode.INVALID_FIELD, "guidance", "guidance must be a number");
        } else if (model != null && !model.kind().takesGuidance()) {
            in.add(ErrorCode.INVALID_GUIDANCE, "guidance", "model " + model.name()
                    + (model.name().equals(model.kind().wireName()) ? "" : " (kind " + model.kind().wireName() + ")")
                    + " takes no guidance; leave it out");
        } else {
            double value = node.doubleValue();
            if (!Double.isFinite(value) || value < JobValidator.MIN_GUIDANCE || value > JobValidator.MAX_GUIDANCE) {
                in.add(ErrorCode.INVALID_GUIDANCE, "guidance", "guidance must be between " + JobValidator.MIN_GUIDANCE
                        + " and " + JobValidator.MAX_GUIDANCE);
            } else {
                guidance = value;
            }
        }
        return guidance;
    }
}
