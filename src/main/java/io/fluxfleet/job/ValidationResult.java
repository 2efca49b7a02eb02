package io.fluxfleet.job;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/** What {@link JobValidator#validate} returns: a normalised request, or every problem found. */
public sealed interface ValidationResult {

    /** The jobId: always set when valid; best effort (null when unknown or unsafe) when invalid. */
    String jobId();

    boolean isValid();

    /** Empty when valid. */
    List<ValidationError> errors();

    record Valid(JobRequest request) implements ValidationResult {
        public Valid {
            Objects.requireNonNull(request, "request");
        }

        @Override
        public String jobId() {
            return request.jobId();
        }

        @Override
        public boolean isValid() {
            return true;
        }

        @Override
        public List<ValidationError> errors() {
            return List.of();
        }
    }

    /**
     * @param jobId  extracted from the value when it holds a safe one, so the failed event and the
     *               DLQ record can be keyed; null otherwise (fall back to the Kafka record key)
     * @param labels the request's labels when they were themselves valid, else empty
     * @param errors at least one, the primary (most telling) first
     */
    record Invalid(String jobId, Map<String, String> labels, List<ValidationError> errors)
            implements ValidationResult {
        public Invalid {
            if (errors == null || errors.isEmpty()) {
                throw new IllegalArgumentException("an invalid result needs at least one error");
            }
            errors = List.copyOf(errors);
            labels = Collections2.sortedCopy(labels);
        }

        @Override
        public boolean isValid() {
            return false;
        }

        /** The error whose code the failed event carries. */
        public ValidationError primary() {
            return errors.get(0);
        }

        /** All messages, one line, for the failed event's message. */
        public String summary() {
            return errors.stream().map(ValidationError::toString).collect(Collectors.joining("; "));
        }
    }
}
