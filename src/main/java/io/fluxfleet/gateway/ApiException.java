package io.fluxfleet.gateway;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;

/** An answer other than success, with its {@link ApiError} body. */
public class ApiException extends WebApplicationException {

    public ApiException(int status, ApiError error) {
        super(error.message(), Response.status(status).type(MediaType.APPLICATION_JSON).entity(error).build());
    }

    public ApiException(int status, String code, String message) {
        this(status, ApiError.of(code, message));
    }

    public static ApiException notFound(String jobId) {
        return new ApiException(404, "NOT_FOUND", "no job " + jobId);
    }

    /** 429 with Retry-After in whole seconds (at least 1). */
    public static ApiException tooMany(String code, String message, Duration retryAfter) {
        long seconds = Math.max(1, (retryAfter.toMillis() + 999) / 1000);
        return new ApiException(Response.status(429).type(MediaType.APPLICATION_JSON)
                .header("Retry-After", seconds).entity(ApiError.of(code, message)).build());
    }

    /** The error code of the body (e.g. JOB_ID_CONFLICT). */
    public String code() {
        return getResponse().getEntity() instanceof ApiError error ? error.code() : String.valueOf(getResponse().getStatus());
    }

    private ApiException(Response response) {
        super(response);
    }
}
