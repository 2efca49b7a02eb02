package io.fluxfleet.job;

import java.util.Objects;

/**
 * A model a job may name: dev, schnell or a fleet catalog's checkpoint (a fine-tune), with its kind
 * and the defaults of jobs that leave steps or guidance out.
 *
 * @param name     the job's {@code model}, {@link KnownModels#isValidName valid}
 * @param kind     the FLUX.1 variant the checkpoint is
 * @param defaults overrides of the kind's defaults; {@link Defaults#NONE} for none
 */
public record ModelDefinition(String name, ModelKind kind, Defaults defaults) {

    public ModelDefinition {
        if (!KnownModels.isValidName(name)) {
            throw new IllegalArgumentException("model name '" + name + "' must be " + KnownModels.NAME_RULE);
        }
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(defaults, "defaults");
        if (defaults.guidance() != null && !kind.takesGuidance()) {
            throw new IllegalArgumentException("model " + name + " is of kind " + kind.wireName()
                    + ", which takes no guidance: leave defaults.guidance out");
        }
    }

    /** dev or schnell as they are, with the kind's defaults. */
    public static ModelDefinition builtIn(ModelKind kind) {
        return new ModelDefinition(kind.wireName(), kind, Defaults.NONE);
    }

    /** Steps of a job that names none. */
    public int defaultSteps() {
        return defaults.steps() != null ? defaults.steps() : kind.defaultSteps();
    }

    /** Guidance of a job that names none; null for a kind without guidance. */
    public Double defaultGuidance() {
        if (!kind.takesGuidance()) {
            return null;
        }
        return defaults.guidance() != null ? defaults.guidance() : JobRequest.DEFAULT_GUIDANCE;
    }

    /**
     * Catalog defaults of a model's jobs; null: the kind's own.
     *
     * @param steps    at least 1
     * @param guidance between {@link JobValidator#MIN_GUIDANCE} and {@link JobValidator#MAX_GUIDANCE}
     */
    public record Defaults(Integer steps, Double guidance) {

        public static final Defaults NONE = new Defaults(null, null);

        public Defaults {
            if (steps != null && steps < 1) {
                throw new IllegalArgumentException("defaults.steps must be at least 1, got " + steps);
            }
            if (guidance != null && (!Double.isFinite(guidance) || guidance < JobValidator.MIN_GUIDANCE
                    || guidance > JobValidator.MAX_GUIDANCE)) {
                throw new IllegalArgumentException("defaults.guidance must be between " + JobValidator.MIN_GUIDANCE
                        + " and " + JobValidator.MAX_GUIDANCE + ", got " + guidance);
            }
        }
    }
}
