package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The checks of one request object, top to bottom in contract order; the model, output and LoRA
 * fields have their own classes. Collects every error (see {@link JobValidator} for the rules).
 */
final class RequestCheck {

    private final ObjectNode root;
    private final JobValidator validator;
    private final JobValidator.Limits limits;
    private final FieldReader in = new FieldReader();

    RequestCheck(ObjectNode root, JobValidator validator) {
        this.root = root;
        this.validator = validator;
        this.limits = validator.limits();
    }

    ValidationResult run() {
        in.rejectUnknownFields(root, JobValidator.REQUEST_FIELDS, "");
        Long version = in.integer(root, "version", "version");
        if (version != null && version != JobRequest.VERSION) {
            in.add(ErrorCode.INVALID_FIELD, "version", "unsupported version " + version + "; this fleet reads version "
                    + JobRequest.VERSION);
        }
        String jobId = jobId();
        String prompt = prompt();
        Integer width = side("width", JobRequest.DEFAULT_WIDTH);
        Integer height = side("height", JobRequest.DEFAULT_HEIGHT);
        if (width != null && height != null && (long) width * height > limits.maxPixels()) {
            in.add(ErrorCode.TOO_MANY_PIXELS, "width", width + "x" + height + " is " + ((long) width * height)
                    + " pixels; the limit is " + limits.maxPixels());
        }
        ModelFieldsCheck.Resolved model = new ModelFieldsCheck(in, validator.models(), limits.maxSteps()).check(root);
        Long seed = seed();
        Acceleration acceleration = acceleration();
        JsonNode custom = custom(acceleration);
        JobRequest.Output output = new OutputCheck(in, limits, validator.scope()).check(root);
        int priority = priority();
        String tenant = tenant();
        Instant deadline = deadline();
        Map<String, String> labels = labels();
        Integer maxSequenceLength = sequenceLength();
        boolean trace = in.flag(root, "trace");
        List<JobRequest.Lora> loras = new LoraCheck(in, validator.loraLimits()).check(root);

        if (in.hasErrors()) {
            return new ValidationResult.Invalid(jobId, labels == null ? Map.of() : labels, in.errors());
        }
        return new ValidationResult.Valid(new JobRequest(JobRequest.VERSION, jobId, prompt, width, height, model.steps(),
                model.guidance(), seed, model.model(), acceleration, custom, output, priority, tenant, deadline, labels,
                maxSequenceLength, trace, loras));
    }

    private String jobId() {
        if (in.absent(root, "jobId")) {
            in.add(ErrorCode.MISSING_FIELD, "jobId", "jobId is required");
            return null;
        }
        String jobId = in.string(root, "jobId", "jobId");
        if (jobId != null && !SafeNames.isValidJobId(jobId)) {
            in.add(ErrorCode.INVALID_JOB_ID, "jobId", "jobId must be 1-" + SafeNames.MAX_JOB_ID_LENGTH
                    + " characters of A-Z a-z 0-9 . _ : -");
            return null;
        }
        return jobId;
    }

    private String prompt() {
        if (in.absent(root, "prompt")) {
            in.add(ErrorCode.MISSING_FIELD, "prompt", "prompt is required");
            return null;
        }
        String prompt = in.string(root, "prompt", "prompt");
        if (prompt != null && prompt.isBlank()) {
            in.add(ErrorCode.MISSING_FIELD, "prompt", "prompt is blank");
        } else if (prompt != null && prompt.codePointCount(0, prompt.length()) > limits.maxPromptLength()) {
            in.add(ErrorCode.PROMPT_TOO_LONG, "prompt", "prompt has " + prompt.codePointCount(0, prompt.length())
                    + " characters; the limit is " + limits.maxPromptLength());
        }
        return prompt;
    }

    /** A width or height, its default when absent, null after reporting a problem. */
    private Integer side(String name, int defaultValue) {
        if (in.absent(root, name)) {
            return defaultValue;
        }
        Long value = in.integer(root, name, name);
        if (value == null) {
            return null;
        }
        if (value < JobValidator.MIN_SIDE || value > limits.maxSide()) {
            in.add(ErrorCode.INVALID_SIZE, name, name + " must be between " + JobValidator.MIN_SIDE + " and " + limits.maxSide());
            return null;
        }
        if (value % JobValidator.SIDE_MULTIPLE != 0) {
            long below = value / JobValidator.SIDE_MULTIPLE * JobValidator.SIDE_MULTIPLE;
            in.add(ErrorCode.INVALID_SIZE, name, name + " " + value + " is not a multiple of " + JobValidator.SIDE_MULTIPLE
                    + " (try " + below + " or " + (below + JobValidator.SIDE_MULTIPLE) + ")");
            return null;
        }
        return value.intValue();
    }

    private Long seed() {
        JsonNode node = in.present(root, "seed");
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0) {
            in.add(ErrorCode.INVALID_FIELD, "seed", "seed must be an integer between 0 and " + Long.MAX_VALUE);
            return null;
        }
        return node.longValue();
    }

    private Acceleration acceleration() {
        String name = in.string(root, "acceleration", "acceleration");
        if (name == null) {
            return null;
        }
        Acceleration acceleration = Acceleration.parse(name).orElse(null);
        if (acceleration == null) {
            in.add(ErrorCode.UNKNOWN_ACCELERATION, "acceleration", "unknown acceleration '" + name
                    + "'; expected one of " + JobValidator.wireNames(Acceleration.values()));
        }
        return acceleration;
    }

    /** The custom preset, present exactly with acceleration custom (unless the acceleration was itself wrong). */
    private JsonNode custom(Acceleration acceleration) {
        JsonNode custom = in.present(root, "custom");
        boolean accelerationKnown = acceleration != null || in.absent(root, "acceleration");
        if (acceleration == Acceleration.CUSTOM) {
            if (custom == null) {
                in.add(ErrorCode.MISSING_FIELD, "custom", "acceleration custom needs a custom object with the preset's parameters");
            } else if (!custom.isObject()) {
                in.add(ErrorCode.INVALID_FIELD, "custom", "custom must be a JSON object");
                return null;
            } else {
                CustomPresetValidator.check(custom, limits.maxSteps(), in::add);
            }
            return custom;
        }
        if (custom != null && accelerationKnown) {
            in.add(ErrorCode.INVALID_FIELD, "custom", "custom is only allowed with acceleration custom");
            return null;
        }
        return custom;
    }

    private int priority() {
        Long requested = in.integer(root, "priority", "priority");
        if (requested == null) {
            return JobRequest.DEFAULT_PRIORITY;
        }
        if (requested < JobRequest.MIN_PRIORITY || requested > JobRequest.MAX_PRIORITY) {
            in.add(ErrorCode.INVALID_FIELD, "priority", "priority must be between " + JobRequest.MIN_PRIORITY
                    + " and " + JobRequest.MAX_PRIORITY);
            return JobRequest.DEFAULT_PRIORITY;
        }
        return requested.intValue();
    }

    private String tenant() {
        String tenant = in.string(root, "tenant", "tenant");
        String scoped = validator.scope().tenant();
        if (tenant != null && !SafeNames.isValidTenant(tenant)) {
            in.add(ErrorCode.INVALID_FIELD, "tenant", "tenant must be 1-64 characters of A-Z a-z 0-9 . _ : -");
        } else if (tenant != null && scoped != null && !tenant.equals(scoped)) {
            in.add(ErrorCode.UNKNOWN_TENANT, "tenant", "this validator checks jobs of tenant " + scoped);
        } else if (tenant == null) {
            return scoped;
        }
        return tenant;
    }

    private Instant deadline() {
        String text = in.string(root, "deadline", "deadline");
        if (text == null) {
            return null;
        }
        Instant deadline = JobJson.parseInstant(text);
        if (deadline == null) {
            in.add(ErrorCode.INVALID_DEADLINE, "deadline", "deadline must be an ISO-8601 instant with a zone or offset,"
                    + " e.g. 2030-01-01T12:00:00Z");
        }
        return deadline;
    }

    /** The labels, empty when absent, null after reporting a problem. */
    private Map<String, String> labels() {
        JsonNode node = in.present(root, "labels");
        if (node == null) {
            return Map.of();
        }
        if (!node.isObject()) {
            in.add(ErrorCode.INVALID_FIELD, "labels", "labels must be a JSON object of strings");
            return null;
        }
        if (node.size() > JobValidator.MAX_LABELS) {
            in.add(ErrorCode.INVALID_FIELD, "labels", "labels has " + node.size() + " entries; at most " + JobValidator.MAX_LABELS);
            return null;
        }
        Map<String, String> labels = new TreeMap<>();
        boolean ok = true;
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            String key = entry.getKey();
            if (key.isEmpty() || key.length() > JobValidator.MAX_LABEL_KEY_LENGTH || hasControlCharacter(key)) {
                in.add(ErrorCode.INVALID_FIELD, "labels", "label names must be 1-" + JobValidator.MAX_LABEL_KEY_LENGTH
                        + " characters without control characters");
                ok = false;
            } else if (!entry.getValue().isTextual()) {
                in.add(ErrorCode.INVALID_FIELD, "labels." + key, "label values must be strings");
                ok = false;
            } else if (entry.getValue().textValue().length() > JobValidator.MAX_LABEL_VALUE_LENGTH) {
                in.add(ErrorCode.INVALID_FIELD, "labels." + key, "label values are at most "
                        + JobValidator.MAX_LABEL_VALUE_LENGTH + " characters");
                ok = false;
            } else {
                labels.put(key, entry.getValue().textValue());
            }
        }
        return ok ? labels : null;
    }

    /** T5 length: absent (model default), 256 or 512. */
    private Integer sequenceLength() {
        Long n = in.integer(root, "maxSequenceLength", "maxSequenceLength");
        if (n != null && !JobRequest.SEQUENCE_LENGTHS.contains((int) Math.max(Integer.MIN_VALUE,
                Math.min(Integer.MAX_VALUE, n)))) {
            in.add(ErrorCode.INVALID_FIELD, "maxSequenceLength", "maxSequenceLength must be 256 or 512 (T5 tokens), got " + n);
            return null;
        }
        return n == null ? null : n.intValue();
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }
}
