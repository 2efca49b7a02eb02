package io.fluxfleet.gateway;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fluxfleet.job.ValidationError;
import java.util.List;

/**
 * The body of every 4xx/5xx answer of /v1.
 *
 * @param code   a validation code of the job contract (INVALID_SIZE, ...) or a gateway code:
 *               UNAUTHORIZED, NOT_FOUND, JOB_ID_CONFLICT, JOB_TERMINAL, JOB_NOT_COMPLETED,
 *               RATE_LIMITED, TOO_MANY_IN_FLIGHT, INVALID_WEBHOOK, UNAVAILABLE
 * @param errors every validation problem, for a rejected request
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ApiError(String code, String message, List<ValidationError> errors) {

    public static ApiError of(String code, String message) {
        return new ApiError(code, message, List.of());
    }
}
