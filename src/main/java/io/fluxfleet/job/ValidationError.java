package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One problem with a job request.
 *
 * @param field   JSON path of the offending field ("steps", "output.keyPrefix", "labels.team"); null
 *                when the problem is the whole value (INVALID_JSON, REQUEST_TOO_LARGE)
 * @param message for humans; may change between releases, unlike the code
 */
public record ValidationError(
        ErrorCode code,
        @JsonInclude(JsonInclude.Include.NON_NULL) String field,
        String message) {

    public ValidationError {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(message, "message");
    }

    @Override
    public String toString() {
        return code + (field == null ? "" : " " + field) + ": " + message;
    }
}
