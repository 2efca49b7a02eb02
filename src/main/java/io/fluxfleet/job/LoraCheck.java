package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The request's {@code loras}: at most the configured number, each a library name or an s3:// URI in
 * an allowed bucket, with a scale in the configured range. Problems are reported per entry
 * ("loras[1].scale").
 */
final class LoraCheck {

    private final FieldReader in;
    private final JobValidator.LoraLimits limits;

    LoraCheck(FieldReader in, JobValidator.LoraLimits limits) {
        this.in = in;
        this.limits = limits;
    }

    /** The adapters, empty when absent. */
    List<JobRequest.Lora> check(ObjectNode root) {
        JsonNode node = in.present(root, "loras");
        if (node == null) {
            return List.of();
        }
        if (!node.isArray()) {
            in.add(ErrorCode.INVALID_FIELD, "loras", "loras must be an array of {source, scale} objects");
            return List.of();
        }
        if (node.size() > limits.maxPerJob()) {
            in.add(ErrorCode.INVALID_FIELD, "loras", "loras has " + node.size() + " entries; at most " + limits.maxPerJob());
            return List.of();
        }
        List<JobRequest.Lora> loras = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            String path = "loras[" + i + "]";
            if (!(node.get(i) instanceof ObjectNode entry)) {
                in.add(ErrorCode.INVALID_FIELD, path, path + " must be a {source, scale} object");
                continue;
            }
            in.rejectUnknownFields(entry, JobValidator.LORA_FIELDS, path + ".");
            String source = source(entry, path);
            double scale = scale(entry, path);
            if (source != null) {
                loras.add(new JobRequest.Lora(source, scale));
            }
        }
        return loras;
    }

    /** The source, null after reporting a problem. */
    private String source(ObjectNode entry, String path) {
        if (in.absent(entry, "source")) {
            in.add(ErrorCode.MISSING_FIELD, path + ".source", path + ".source is required");
            return null;
        }
        String source = in.string(entry, path + ".source", "source");
        if (source == null) {
            return null;
        }
        String problem = LoraSources.problem(source);
        if (problem != null) {
            in.add(ErrorCode.INVALID_FIELD, path + ".source", problem);
            return null;
        }
        if (source.startsWith(LoraSources.S3_SCHEME)
                && !limits.allowedBuckets().contains(LoraSources.parseUri(source).bucket())) {
            in.add(ErrorCode.INVALID_FIELD, path + ".source", "bucket '" + LoraSources.parseUri(source).bucket()
                    + "' is not allowed for adapters" + (limits.allowedBuckets().isEmpty()
                    ? "; this fleet takes library names only" : ""));
            return null;
        }
        return source;
    }

    private double scale(ObjectNode entry, String path) {
        JsonNode node = in.present(entry, "scale");
        if (node == null) {
            return JobRequest.Lora.DEFAULT_SCALE;
        }
        if (!node.isNumber()) {
            in.add(ErrorCode.INVALID_FIELD, path + ".scale", path + ".scale must be a number");
            return JobRequest.Lora.DEFAULT_SCALE;
        }
        double scale = node.doubleValue();
        if (!Double.isFinite(scale) || scale < limits.minScale() || scale > limits.maxScale()) {
            in.add(ErrorCode.INVALID_FIELD, path + ".scale", path + ".scale must be between "
                    + limits.minScale() + " and " + limits.maxScale());
        }
        return scale;
    }
}
