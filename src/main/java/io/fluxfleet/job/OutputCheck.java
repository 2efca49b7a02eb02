package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;

/**
 * The request's {@code output}: bucket (a valid name the fleet allows), key prefix (safe, and under one
 * of the allowed prefixes, the scope's default included) and format.
 */
final class OutputCheck {

    private final FieldReader in;
    private final JobValidator.Limits limits;
    private final JobValidator.Scope scope;

    OutputCheck(FieldReader in, JobValidator.Limits limits, JobValidator.Scope scope) {
        this.in = in;
        this.limits = limits;
        this.scope = scope;
    }

    /** The output, null after reporting that it is not an object. */
    JobRequest.Output check(ObjectNode root) {
        JsonNode node = in.present(root, "output");
        if (node == null) {
            return checkedPrefixAllowed(new JobRequest.Output(null, scope.defaultKeyPrefix(), OutputFormat.PNG));
        }
        if (!(node instanceof ObjectNode output)) {
            in.add(ErrorCode.INVALID_FIELD, "output", "output must be a JSON object");
            return null;
        }
        in.rejectUnknownFields(output, JobValidator.OUTPUT_FIELDS, "output.");

        String bucket = in.string(output, "output.bucket", "bucket");
        if (bucket != null) {
            if (!SafeNames.isValidBucket(bucket)) {
                in.add(ErrorCode.INVALID_OUTPUT, "output.bucket", "bucket must be a valid S3 bucket name"
                        + " (3-63 characters: a-z 0-9 . -, starting and ending with a letter or digit)");
            } else if (!limits.allowedBuckets().isEmpty() && !limits.allowedBuckets().contains(bucket)) {
                in.add(ErrorCode.INVALID_OUTPUT, "output.bucket", "bucket '" + bucket + "' is not allowed");
            }
        }

        String keyPrefix = scope.defaultKeyPrefix();
        String requestedPrefix = in.string(output, "output.keyPrefix", "keyPrefix");
        if (requestedPrefix != null) {
            String problem = SafeNames.keyPrefixProblem(requestedPrefix);
            if (problem != null) {
                in.add(ErrorCode.INVALID_OUTPUT, "output.keyPrefix", problem);
            } else {
                keyPrefix = SafeNames.normaliseKeyPrefix(requestedPrefix);
            }
        }

        OutputFormat format = OutputFormat.PNG;
        String formatName = in.string(output, "output.format", "format");
        if (formatName != null) {
            format = OutputFormat.parse(formatName).orElse(null);
            if (format == null) {
                in.add(ErrorCode.INVALID_OUTPUT, "output.format", "unknown format '" + formatName + "'; expected one of "
                        + JobValidator.wireNames(OutputFormat.values()));
                format = OutputFormat.PNG;
            }
        }
        return checkedPrefixAllowed(new JobRequest.Output(bucket, keyPrefix, format));
    }

    private JobRequest.Output checkedPrefixAllowed(JobRequest.Output output) {
        Set<String> allowed = limits.allowedKeyPrefixes();
        String prefix = output.keyPrefix();
        if (!allowed.isEmpty() && allowed.stream().noneMatch(a -> prefix.equals(a) || prefix.startsWith(a + "/"))) {
            in.add(ErrorCode.INVALID_OUTPUT, "output.keyPrefix", "key prefix '" + prefix + "' is not allowed");
        }
        return output;
    }
}
