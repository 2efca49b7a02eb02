package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Parses and validates a job request from the raw Kafka value in one pass, without throwing:
 * poison messages become {@link ValidationResult.Invalid}, never exceptions in the consumer.
 *
 * <p>Rules that are not obvious from {@link JobRequest}:
 * <ul>
 *   <li>Unknown fields are rejected (UNKNOWN_FIELD, with a "did you mean" hint), at the top level and
 *       inside {@code output}: a typo such as "stpes" must not silently render 50 steps.</li>
 *   <li>JSON null is the same as an absent field.</li>
 *   <li>A value of the wrong JSON type is INVALID_FIELD for every field (including "1024" for a
 *       number); a value of the right type that breaks a field's rule gets the field's own code.</li>
 *   <li>Names are case-sensitive, enum values included ("DEV" is an unknown model).</li>
 *   <li>A model name resolves to one of the validator's {@link KnownModels} (dev and schnell, or the
 *       fleet catalog's models): its kind decides whether guidance is taken, and its defaults fill the
 *       steps and guidance a job leaves out.</li>
 *   <li>Every problem is reported, up to {@value #MAX_ERRORS}; unknown fields come first because
 *       a typo usually explains the other errors (a misspelt "promt" also means a missing prompt).</li>
 *   <li>A past deadline is not a validation error: the worker checks it against its clock at
 *       pickup and fails the job with EXPIRED.</li>
 * </ul>
 */
public final class JobValidator {

    public static final int MIN_SIDE = 64;
    public static final int SIDE_MULTIPLE = 16;
    public static final double MIN_GUIDANCE = 0.0;
    public static final double MAX_GUIDANCE = 20.0;
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_KEY_LENGTH = 128;
    public static final int MAX_LABEL_VALUE_LENGTH = 1024;
    /** Caps the error list so a hostile value cannot make the failed event huge. */
    public static final int MAX_ERRORS = 32;

    /** Field names are the record components: a new component is automatically a known field. */
    static final Set<String> REQUEST_FIELDS = FieldReader.componentNames(JobRequest.class);
    static final Set<String> OUTPUT_FIELDS = FieldReader.componentNames(JobRequest.Output.class);
    static final Set<String> LORA_FIELDS = FieldReader.componentNames(JobRequest.Lora.class);

    /**
     * Configurable limits.
     *
     * @param maxPromptLength    in characters (Unicode code points)
     * @param maxPixels          width x height
     * @param maxSide            largest width or height; a multiple of 16
     * @param maxSteps           largest steps value
     * @param allowedBuckets     empty: any bucket name (the fleet's default bucket is always allowed)
     * @param allowedKeyPrefixes empty: any safe prefix; else the effective prefix (default included)
     *                           must equal one or lie under one ("tenants" allows "tenants/acme")
     * @param maxRequestBytes    size of the raw Kafka value
     */
    public record Limits(
            int maxPromptLength,
            long maxPixels,
            int maxSide,
            int maxSteps,
            Set<String> allowedBuckets,
            Set<String> allowedKeyPrefixes,
            int maxRequestBytes) {

        public static final Limits DEFAULTS = new Limits(2000, 2_097_152L, 4096, 100, Set.of(), Set.of(), 64 * 1024);

        public Limits {
            if (maxPromptLength < 1 || maxPixels < (long) MIN_SIDE * MIN_SIDE || maxSteps < 1 || maxRequestBytes < 1) {
                throw new IllegalArgumentException("limits must be positive and allow at least a 64x64 image");
            }
            if (maxSide < MIN_SIDE || maxSide % SIDE_MULTIPLE != 0) {
                throw new IllegalArgumentException("maxSide must be a multiple of 16 and at least 64");
            }
            allowedBuckets = allowedBuckets == null ? Set.of() : Set.copyOf(allowedBuckets);
            allowedKeyPrefixes = allowedKeyPrefixes == null ? Set.of()
                    : allowedKeyPrefixes.stream().map(SafeNames::normaliseKeyPrefix).collect(Collectors.toUnmodifiableSet());
        }
    }

    /**
     * The tenant a validator checks requests for.
     *
     * @param tenant           the tenant of requests that name none; null: none (the request's own, if any)
     * @param defaultKeyPrefix the key prefix of requests that name none
     */
    public record Scope(String tenant, String defaultKeyPrefix) {
        /** No tenant; the default prefix is {@link ObjectKeys#DEFAULT_PREFIX}. */
        public static final Scope NONE = new Scope(null, ObjectKeys.DEFAULT_PREFIX);

        public Scope {
            if (tenant != null && !SafeNames.isValidTenant(tenant)) {
                throw new IllegalArgumentException("invalid tenant: " + tenant);
            }
            String problem = SafeNames.keyPrefixProblem(defaultKeyPrefix);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            defaultKeyPrefix = SafeNames.normaliseKeyPrefix(defaultKeyPrefix);
        }
    }

    /**
     * Limits of the {@code loras} list.
     *
     * @param maxPerJob      most adapters one job may ask for
     * @param minScale       smallest scale (negative scales invert an adapter, as slider LoRAs use)
     * @param maxScale       largest scale
     * @param allowedBuckets buckets s3:// sources may name; empty: only library names are accepted
     */
    public record LoraLimits(int maxPerJob, double minScale, double maxScale, Set<String> allowedBuckets) {

        public static final LoraLimits DEFAULTS = new LoraLimits(4, -2.0, 2.0, Set.of());

        public LoraLimits {
            if (maxPerJob < 0 || !(minScale <= maxScale)) {
                throw new IllegalArgumentException("maxPerJob must be >= 0 and minScale <= maxScale");
            }
            allowedBuckets = allowedBuckets == null ? Set.of() : Set.copyOf(allowedBuckets);
        }
    }

    private final Limits limits;
    private final Scope scope;
    private final LoraLimits loraLimits;
    private final KnownModels models;

    public JobValidator() {
        this(Limits.DEFAULTS);
    }

    public JobValidator(Limits limits) {
        this(limits, Scope.NONE, LoraLimits.DEFAULTS);
    }

    /** A validator for one tenant's requests: a request naming another tenant is INVALID_FIELD. */
    public JobValidator(Limits limits, Scope scope) {
        this(limits, scope, LoraLimits.DEFAULTS);
    }

    public JobValidator(Limits limits, LoraLimits loraLimits) {
        this(limits, Scope.NONE, loraLimits);
    }

    public JobValidator(Limits limits, Scope scope, LoraLimits loraLimits) {
        this(limits, scope, loraLimits, KnownModels.BUILT_IN);
    }

    private JobValidator(Limits limits, Scope scope, LoraLimits loraLimits, KnownModels models) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.loraLimits = Objects.requireNonNull(loraLimits, "loraLimits");
        this.models = Objects.requireNonNull(models, "models");
    }

    /**
     * This validator for a fleet whose models are {@code models} (its catalog's): a job's model name
     * resolves to one of them, its kind and its defaults; any other name is UNKNOWN_MODEL.
     */
    public JobValidator withModels(KnownModels models) {
        return new JobValidator(limits, scope, loraLimits, models);
    }

    public Limits limits() {
        return limits;
    }

    public LoraLimits loraLimits() {
        return loraLimits;
    }

    public Scope scope() {
        return scope;
    }

    public KnownModels models() {
        return models;
    }

    /** Never throws; see the class comment for the rules. */
    public ValidationResult validate(byte[] rawValue) {
        try {
            return validateValue(rawValue);
        } catch (RuntimeException e) {
            // A bug here must still not turn one message into a consumer crash loop.
            return invalid(rawValue == null ? null : extractJobId(rawValue), Map.of(), List.of(new ValidationError(
                    ErrorCode.INVALID_FIELD, null, "the request could not be validated: " + e)));
        }
    }

    /**
     * The jobId of a value that may be invalid, oversize or not even JSON, when a safe one can be
     * found at the top level; else null.
     */
    public static String extractJobId(byte[] rawValue) {
        if (rawValue == null || rawValue.length == 0) {
            return null;
        }
        String jobId = JobJson.scanTopLevelString(rawValue, "jobId");
        return SafeNames.isValidJobId(jobId) ? jobId : null;
    }

    /** The tenant a value names at its top level when it is a safe tenant name; else null. */
    public static String extractTenant(byte[] rawValue) {
        if (rawValue == null || rawValue.length == 0) {
            return null;
        }
        String tenant = JobJson.scanTopLevelString(rawValue, "tenant");
        return SafeNames.isValidTenant(tenant) ? tenant : null;
    }

    private ValidationResult validateValue(byte[] rawValue) {
        if (rawValue == null || rawValue.length == 0) {
            return invalid(null, Map.of(), List.of(new ValidationError(ErrorCode.INVALID_JSON, null,
                    "empty value (a tombstone or an empty message) is not a job request")));
        }
        if (rawValue.length > limits.maxRequestBytes()) {
            return invalid(extractJobId(rawValue), Map.of(), List.of(new ValidationError(ErrorCode.REQUEST_TOO_LARGE, null,
                    "the request is " + rawValue.length + " bytes; the limit is " + limits.maxRequestBytes())));
        }
        JsonNode root;
        try {
            root = JobJson.readTree(rawValue);
        } catch (IOException e) {
            return invalid(extractJobId(rawValue), Map.of(), List.of(new ValidationError(ErrorCode.INVALID_JSON, null,
                    "not valid JSON: " + JobJson.describe(e))));
        }
        if (!(root instanceof ObjectNode object)) {
            String kind = root == null || root.isMissingNode() ? "nothing" : root.getNodeType().name().toLowerCase(Locale.ROOT);
            return invalid(null, Map.of(), List.of(new ValidationError(ErrorCode.INVALID_JSON, null,
                    "a job request is a JSON object; got " + kind)));
        }
        return new RequestCheck(object, this).run();
    }

    private static ValidationResult.Invalid invalid(String jobId, Map<String, String> labels, List<ValidationError> errors) {
        return new ValidationResult.Invalid(jobId, labels, errors);
    }

    static String wireNames(Enum<?>[] values) {
        return Arrays.stream(values).map(JobJson::toJson).map(s -> s.replace("\"", "")).collect(Collectors.joining(", "));
    }
}
