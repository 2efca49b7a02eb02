package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
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
    static final Set<String> REQUEST_FIELDS = componentNames(JobRequest.class);
    static final Set<String> OUTPUT_FIELDS = componentNames(JobRequest.Output.class);
    static final Set<String> LORA_FIELDS = componentNames(JobRequest.Lora.class);

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
        this.limits = Objects.requireNonNull(limits, "limits");
        this.scope = Objects.requireNonNull(scope, "scope");
        this.loraLimits = Objects.requireNonNull(loraLimits, "loraLimits");
    }

    public Limits limits() {
        return limits;
    }

    public LoraLimits loraLimits() {
        return loraLimits;
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
        return new RequestCheck(object).run();
    }

    private static ValidationResult.Invalid invalid(String jobId, Map<String, String> labels, List<ValidationError> errors) {
        return new ValidationResult.Invalid(jobId, labels, errors);
    }

    /** The checks of one request; collects errors instead of stopping at the first. */
    private final class RequestCheck {
        private final ObjectNode root;
        private final List<ValidationError> errors = new ArrayList<>();

        RequestCheck(ObjectNode root) {
            this.root = root;
        }

        ValidationResult run() {
            rejectUnknownFields(root, REQUEST_FIELDS, "");

            Long version = integer(root, "version", "version");
            if (version != null && version != JobRequest.VERSION) {
                add(ErrorCode.INVALID_FIELD, "version", "unsupported version " + version + "; this fleet reads version " + JobRequest.VERSION);
            }

            String jobId = null;
            if (absent(root, "jobId")) {
                add(ErrorCode.MISSING_FIELD, "jobId", "jobId is required");
            } else {
                jobId = string(root, "jobId", "jobId");
                if (jobId != null && !SafeNames.isValidJobId(jobId)) {
                    add(ErrorCode.INVALID_JOB_ID, "jobId", "jobId must be 1-" + SafeNames.MAX_JOB_ID_LENGTH
                            + " characters of A-Z a-z 0-9 . _ : -");
                    jobId = null;
                }
            }

            String prompt = null;
            if (absent(root, "prompt")) {
                add(ErrorCode.MISSING_FIELD, "prompt", "prompt is required");
            } else {
                prompt = string(root, "prompt", "prompt");
                if (prompt != null && prompt.isBlank()) {
                    add(ErrorCode.MISSING_FIELD, "prompt", "prompt is blank");
                } else if (prompt != null && prompt.codePointCount(0, prompt.length()) > limits.maxPromptLength()) {
                    add(ErrorCode.PROMPT_TOO_LONG, "prompt", "prompt has " + prompt.codePointCount(0, prompt.length())
                            + " characters; the limit is " + limits.maxPromptLength());
                }
            }

            Integer width = side("width", JobRequest.DEFAULT_WIDTH);
            Integer height = side("height", JobRequest.DEFAULT_HEIGHT);
            if (width != null && height != null && (long) width * height > limits.maxPixels()) {
                add(ErrorCode.TOO_MANY_PIXELS, "width", width + "x" + height + " is " + ((long) width * height)
                        + " pixels; the limit is " + limits.maxPixels());
            }

            Model model = Model.DEV;
            boolean modelKnown = true;
            String modelName = string(root, "model", "model");
            if (modelName != null) {
                model = Model.parse(modelName).orElse(null);
                if (model == null) {
                    add(ErrorCode.UNKNOWN_MODEL, "model", "unknown model '" + modelName + "'; expected one of "
                            + wireNames(Model.values()));
                    model = Model.DEV;
                    modelKnown = false;
                }
            }

            int steps = model.defaultSteps();
            Long requestedSteps = integer(root, "steps", "steps");
            if (requestedSteps != null) {
                if (requestedSteps < 1) {
                    add(ErrorCode.INVALID_FIELD, "steps", "steps must be at least 1");
                } else if (requestedSteps > limits.maxSteps()) {
                    add(ErrorCode.TOO_MANY_STEPS, "steps", "steps is " + requestedSteps + "; the limit is " + limits.maxSteps());
                } else {
                    steps = requestedSteps.intValue();
                }
            }

            Double guidance = model.takesGuidance() ? JobRequest.DEFAULT_GUIDANCE : null;
            JsonNode guidanceNode = present(root, "guidance");
            if (guidanceNode != null) {
                if (!guidanceNode.isNumber()) {
                    add(ErrorCode.INVALID_FIELD, "guidance", "guidance must be a number");
                } else if (modelKnown && !model.takesGuidance()) {
                    add(ErrorCode.INVALID_GUIDANCE, "guidance", "model " + model.wireName() + " takes no guidance; leave it out");
                } else {
                    double value = guidanceNode.doubleValue();
                    if (!Double.isFinite(value) || value < MIN_GUIDANCE || value > MAX_GUIDANCE) {
                        add(ErrorCode.INVALID_GUIDANCE, "guidance", "guidance must be between " + MIN_GUIDANCE + " and " + MAX_GUIDANCE);
                    } else {
                        guidance = value;
                    }
                }
            }

            Long seed = null;
            JsonNode seedNode = present(root, "seed");
            if (seedNode != null) {
                if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong() || seedNode.longValue() < 0) {
                    add(ErrorCode.INVALID_FIELD, "seed", "seed must be an integer between 0 and " + Long.MAX_VALUE);
                } else {
                    seed = seedNode.longValue();
                }
            }

            Acceleration acceleration = null;
            boolean accelerationKnown = true;
            String accelerationName = string(root, "acceleration", "acceleration");
            if (accelerationName != null) {
                acceleration = Acceleration.parse(accelerationName).orElse(null);
                if (acceleration == null) {
                    accelerationKnown = false;
                    add(ErrorCode.UNKNOWN_ACCELERATION, "acceleration", "unknown acceleration '" + accelerationName
                            + "'; expected one of " + wireNames(Acceleration.values()));
                }
            } else if (!absent(root, "acceleration")) {
                accelerationKnown = false; // wrong type, already reported
            }

            JsonNode custom = present(root, "custom");
            if (acceleration == Acceleration.CUSTOM) {
                if (custom == null) {
                    add(ErrorCode.MISSING_FIELD, "custom", "acceleration custom needs a custom object with the preset's parameters");
                } else if (!custom.isObject()) {
                    add(ErrorCode.INVALID_FIELD, "custom", "custom must be a JSON object");
                    custom = null;
                } else {
                    CustomPresetValidator.check(custom, limits.maxSteps(), this::add);
                }
            } else if (custom != null && accelerationKnown) {
                add(ErrorCode.INVALID_FIELD, "custom", "custom is only allowed with acceleration custom");
                custom = null;
            }

            JobRequest.Output output = output();

            int priority = JobRequest.DEFAULT_PRIORITY;
            Long requestedPriority = integer(root, "priority", "priority");
            if (requestedPriority != null) {
                if (requestedPriority < JobRequest.MIN_PRIORITY || requestedPriority > JobRequest.MAX_PRIORITY) {
                    add(ErrorCode.INVALID_FIELD, "priority", "priority must be between " + JobRequest.MIN_PRIORITY
                            + " and " + JobRequest.MAX_PRIORITY);
                } else {
                    priority = requestedPriority.intValue();
                }
            }

            String tenant = string(root, "tenant", "tenant");
            if (tenant != null && !SafeNames.isValidTenant(tenant)) {
                add(ErrorCode.INVALID_FIELD, "tenant", "tenant must be 1-64 characters of A-Z a-z 0-9 . _ : -");
            } else if (tenant != null && scope.tenant() != null && !tenant.equals(scope.tenant())) {
                add(ErrorCode.UNKNOWN_TENANT, "tenant", "this validator checks jobs of tenant " + scope.tenant());
            } else if (tenant == null) {
                tenant = scope.tenant();
            }

            Instant deadline = null;
            String deadlineText = string(root, "deadline", "deadline");
            if (deadlineText != null) {
                deadline = JobJson.parseInstant(deadlineText);
                if (deadline == null) {
                    add(ErrorCode.INVALID_DEADLINE, "deadline", "deadline must be an ISO-8601 instant with a zone or offset,"
                            + " e.g. 2030-01-01T12:00:00Z");
                }
            }

            Map<String, String> labels = labels();
            Integer maxSequenceLength = sequenceLength();
            boolean trace = flag(root, "trace");
            List<JobRequest.Lora> loras = loras();

            if (!errors.isEmpty()) {
                return invalid(jobId, labels == null ? Map.of() : labels, errors);
            }
            return new ValidationResult.Valid(new JobRequest(JobRequest.VERSION, jobId, prompt, width, height, steps,
                    guidance, seed, model, acceleration, custom, output, priority, tenant, deadline, labels,
                    maxSequenceLength, trace, loras));
        }

        /** T5 length: absent (model default), 256 or 512. */
        private Integer sequenceLength() {
            Long n = integer(root, "maxSequenceLength", "maxSequenceLength");
            if (n != null && !JobRequest.SEQUENCE_LENGTHS.contains((int) Math.max(Integer.MIN_VALUE,
                    Math.min(Integer.MAX_VALUE, n)))) {
                add(ErrorCode.INVALID_FIELD, "maxSequenceLength", "maxSequenceLength must be 256 or 512 (T5 tokens), got " + n);
                return null;
            }
            return n == null ? null : n.intValue();
        }

        private boolean flag(ObjectNode object, String name) {
            JsonNode node = present(object, name);
            if (node != null && !node.isBoolean()) {
                add(ErrorCode.INVALID_FIELD, name, name + " must be true or false");
                return false;
            }
            return node != null && node.booleanValue();
        }

        /** A width or height, its default when absent, null after reporting a problem. */
        private Integer side(String name, int defaultValue) {
            if (absent(root, name)) {
                return defaultValue;
            }
            Long value = integer(root, name, name);
            if (value == null) {
                return null;
            }
            if (value < MIN_SIDE || value > limits.maxSide()) {
                add(ErrorCode.INVALID_SIZE, name, name + " must be between " + MIN_SIDE + " and " + limits.maxSide());
                return null;
            }
            if (value % SIDE_MULTIPLE != 0) {
                long below = value / SIDE_MULTIPLE * SIDE_MULTIPLE;
                add(ErrorCode.INVALID_SIZE, name, name + " " + value + " is not a multiple of " + SIDE_MULTIPLE
                        + " (try " + below + " or " + (below + SIDE_MULTIPLE) + ")");
                return null;
            }
            return value.intValue();
        }

        private JobRequest.Output output() {
            JsonNode node = present(root, "output");
            if (node == null) {
                return checkedPrefixAllowed(new JobRequest.Output(null, scope.defaultKeyPrefix(), OutputFormat.PNG));
            }
            if (!(node instanceof ObjectNode output)) {
                add(ErrorCode.INVALID_FIELD, "output", "output must be a JSON object");
                return null;
            }
            rejectUnknownFields(output, OUTPUT_FIELDS, "output.");

            String bucket = string(output, "output.bucket", "bucket");
            if (bucket != null) {
                if (!SafeNames.isValidBucket(bucket)) {
                    add(ErrorCode.INVALID_OUTPUT, "output.bucket", "bucket must be a valid S3 bucket name"
                            + " (3-63 characters: a-z 0-9 . -, starting and ending with a letter or digit)");
                } else if (!limits.allowedBuckets().isEmpty() && !limits.allowedBuckets().contains(bucket)) {
                    add(ErrorCode.INVALID_OUTPUT, "output.bucket", "bucket '" + bucket + "' is not allowed");
                }
            }

            String keyPrefix = scope.defaultKeyPrefix();
            String requestedPrefix = string(output, "output.keyPrefix", "keyPrefix");
            if (requestedPrefix != null) {
                String problem = SafeNames.keyPrefixProblem(requestedPrefix);
                if (problem != null) {
                    add(ErrorCode.INVALID_OUTPUT, "output.keyPrefix", problem);
                } else {
                    keyPrefix = SafeNames.normaliseKeyPrefix(requestedPrefix);
                }
            }

            OutputFormat format = OutputFormat.PNG;
            String formatName = string(output, "output.format", "format");
            if (formatName != null) {
                format = OutputFormat.parse(formatName).orElse(null);
                if (format == null) {
                    add(ErrorCode.INVALID_OUTPUT, "output.format", "unknown format '" + formatName + "'; expected one of "
                            + wireNames(OutputFormat.values()));
                    format = OutputFormat.PNG;
                }
            }
            return checkedPrefixAllowed(new JobRequest.Output(bucket, keyPrefix, format));
        }

        private JobRequest.Output checkedPrefixAllowed(JobRequest.Output output) {
            Set<String> allowed = limits.allowedKeyPrefixes();
            String prefix = output.keyPrefix();
            if (!allowed.isEmpty() && allowed.stream().noneMatch(a -> prefix.equals(a) || prefix.startsWith(a + "/"))) {
                add(ErrorCode.INVALID_OUTPUT, "output.keyPrefix", "key prefix '" + prefix + "' is not allowed");
            }
            return output;
        }

        /** The labels, empty when absent, null after reporting a problem. */
        private Map<String, String> labels() {
            JsonNode node = present(root, "labels");
            if (node == null) {
                return Map.of();
            }
            if (!node.isObject()) {
                add(ErrorCode.INVALID_FIELD, "labels", "labels must be a JSON object of strings");
                return null;
            }
            if (node.size() > MAX_LABELS) {
                add(ErrorCode.INVALID_FIELD, "labels", "labels has " + node.size() + " entries; at most " + MAX_LABELS);
                return null;
            }
            Map<String, String> labels = new TreeMap<>();
            boolean ok = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                String key = entry.getKey();
                if (key.isEmpty() || key.length() > MAX_LABEL_KEY_LENGTH || hasControlCharacter(key)) {
                    add(ErrorCode.INVALID_FIELD, "labels", "label names must be 1-" + MAX_LABEL_KEY_LENGTH
                            + " characters without control characters");
                    ok = false;
                } else if (!entry.getValue().isTextual()) {
                    add(ErrorCode.INVALID_FIELD, "labels." + key, "label values must be strings");
                    ok = false;
                } else if (entry.getValue().textValue().length() > MAX_LABEL_VALUE_LENGTH) {
                    add(ErrorCode.INVALID_FIELD, "labels." + key, "label values are at most " + MAX_LABEL_VALUE_LENGTH + " characters");
                    ok = false;
                } else {
                    labels.put(key, entry.getValue().textValue());
                }
            }
            return ok ? labels : null;
        }

        /** The adapters, empty when absent; problems are reported per entry ("loras[1].scale"). */
        private List<JobRequest.Lora> loras() {
            JsonNode node = present(root, "loras");
            if (node == null) {
                return List.of();
            }
            if (!node.isArray()) {
                add(ErrorCode.INVALID_FIELD, "loras", "loras must be an array of {source, scale} objects");
                return List.of();
            }
            if (node.size() > loraLimits.maxPerJob()) {
                add(ErrorCode.INVALID_FIELD, "loras", "loras has " + node.size() + " entries; at most "
                        + loraLimits.maxPerJob());
                return List.of();
            }
            List<JobRequest.Lora> loras = new ArrayList<>();
            for (int i = 0; i < node.size(); i++) {
                String path = "loras[" + i + "]";
                if (!(node.get(i) instanceof ObjectNode entry)) {
                    add(ErrorCode.INVALID_FIELD, path, path + " must be a {source, scale} object");
                    continue;
                }
                rejectUnknownFields(entry, LORA_FIELDS, path + ".");
                String source = absent(entry, "source") ? null : string(entry, path + ".source", "source");
                if (absent(entry, "source")) {
                    add(ErrorCode.MISSING_FIELD, path + ".source", path + ".source is required");
                } else if (source != null && LoraSources.problem(source) != null) {
                    add(ErrorCode.INVALID_FIELD, path + ".source", LoraSources.problem(source));
                    source = null;
                } else if (source != null && source.startsWith(LoraSources.S3_SCHEME)
                        && !loraLimits.allowedBuckets().contains(LoraSources.parseUri(source).bucket())) {
                    add(ErrorCode.INVALID_FIELD, path + ".source", "bucket '" + LoraSources.parseUri(source).bucket()
                            + "' is not allowed for adapters" + (loraLimits.allowedBuckets().isEmpty()
                            ? "; this fleet takes library names only" : ""));
                    source = null;
                }
                double scale = JobRequest.Lora.DEFAULT_SCALE;
                JsonNode scaleNode = present(entry, "scale");
                if (scaleNode != null && !scaleNode.isNumber()) {
                    add(ErrorCode.INVALID_FIELD, path + ".scale", path + ".scale must be a number");
                } else if (scaleNode != null) {
                    scale = scaleNode.doubleValue();
                    if (!Double.isFinite(scale) || scale < loraLimits.minScale() || scale > loraLimits.maxScale()) {
                        add(ErrorCode.INVALID_FIELD, path + ".scale", path + ".scale must be between "
                                + loraLimits.minScale() + " and " + loraLimits.maxScale());
                    }
                }
                if (source != null) {
                    loras.add(new JobRequest.Lora(source, scale));
                }
            }
            return loras;
        }

        private void rejectUnknownFields(ObjectNode object, Set<String> known, String pathPrefix) {
            for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
                String name = names.next();
                if (!known.contains(name)) {
                    String hint = closest(name, known);
                    add(ErrorCode.UNKNOWN_FIELD, pathPrefix + name, "unknown field '" + pathPrefix + name + "'"
                            + (hint == null ? "" : "; did you mean '" + pathPrefix + hint + "'?"));
                }
            }
        }

        private boolean absent(ObjectNode object, String name) {
            return present(object, name) == null;
        }

        /** The field's node, or null when it is absent or JSON null (the two mean the same). */
        private JsonNode present(ObjectNode object, String name) {
            JsonNode node = object.get(name);
            return node == null || node.isNull() ? null : node;
        }

        /** The string, or null when absent or (reported) not a string. */
        private String string(ObjectNode object, String path, String name) {
            JsonNode node = present(object, name);
            if (node == null) {
                return null;
            }
            if (!node.isTextual()) {
                add(ErrorCode.INVALID_FIELD, path, path + " must be a string");
                return null;
            }
            return node.textValue();
        }

        /**
         * The integer, or null when absent or (reported) not an integer. Integers beyond the long
         * range come back as Long.MIN/MAX_VALUE so the caller's range check reports them.
         */
        private Long integer(ObjectNode object, String path, String name) {
            JsonNode node = present(object, name);
            if (node == null) {
                return null;
            }
            if (!node.isIntegralNumber()) {
                add(ErrorCode.INVALID_FIELD, path, path + " must be an integer");
                return null;
            }
            if (!node.canConvertToLong()) {
                return node.bigIntegerValue().signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
            }
            return node.longValue();
        }

        private void add(ErrorCode code, String field, String message) {
            if (errors.size() < MAX_ERRORS) {
                errors.add(new ValidationError(code, field, message));
            }
        }
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }

    /** The known name closest to a typo (edit distance at most 2, or equal ignoring case), or null. */
    static String closest(String name, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int distance = candidate.equalsIgnoreCase(name) ? 0 : editDistance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: Levenshtein plus swaps of adjacent letters ("stpes"). */
    private static int editDistance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String wireNames(Enum<?>[] values) {
        return Arrays.stream(values).map(JobJson::toJson).map(s -> s.replace("\"", "")).collect(Collectors.joining(", "));
    }

    private static Set<String> componentNames(Class<? extends Record> type) {
        Set<String> names = new LinkedHashSet<>();
        for (var component : type.getRecordComponents()) {
            names.add(component.getName());
        }
        return Collections.unmodifiableSet(names); // component order keeps "did you mean" hints deterministic
    }
}
