package io.fluxfleet.storage;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import java.io.IOException;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which storage failures are worth retrying. Connection failures, 5xx, throttling (SlowDown) and timeouts
 * are transient: the same request can succeed later. A 4xx such as NoSuchBucket, AccessDenied or
 * InvalidAccessKeyId is permanent: the bucket, the credentials or the policy must change first, and
 * retrying it only spends GPU time on renders that cannot be stored.
 */
public final class StorageErrors {

    /** How a failure should be handled. */
    public enum Kind { TRANSIENT, PERMANENT }

    /** 4xx codes that S3 services use for "try again later". */
    private static final Set<String> TRANSIENT_CODES = Set.of("SlowDown", "Throttling", "ThrottlingException",
            "RequestLimitExceeded", "TooManyRequests", "RequestTimeout", "RequestTimeTooSkewed",
            "InternalError", "ServiceUnavailable", "OperationAborted");
    private static final Pattern RESPONSE_CODE = Pattern.compile("Response code: (\\d{3})");

    private StorageErrors() {
    }

    /** Classifies a failure (or the first storage error in its cause chain); unknown failures are transient. */
    public static Kind classify(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ErrorResponseException e) {
                String code = e.errorResponse() == null ? null : e.errorResponse().code();
                int status = e.response() == null ? 0 : e.response().code();
                return classify(code, status);
            }
            if (t instanceof ServerException e) {
                return classify(null, e.statusCode());
            }
            if (t instanceof InvalidResponseException e) {
                // A non-XML answer, e.g. a proxy's HTML 502 page; only its message carries the status.
                Matcher status = RESPONSE_CODE.matcher(String.valueOf(e.getMessage()));
                return classify(null, status.find() ? Integer.parseInt(status.group(1)) : 0);
            }
            if (t instanceof IOException) {
                return Kind.TRANSIENT;
            }
        }
        return Kind.TRANSIENT;
    }

    /** By S3 error code first, then by HTTP status: 408, 429 and 5xx transient, other 4xx permanent. */
    static Kind classify(String s3Code, int httpStatus) {
        if (s3Code != null && TRANSIENT_CODES.contains(s3Code)) {
            return Kind.TRANSIENT;
        }
        if (httpStatus == 408 || httpStatus == 429 || httpStatus >= 500 || httpStatus < 400) {
            return Kind.TRANSIENT;
        }
        return Kind.PERMANENT;
    }

    /** The S3 error code (NoSuchBucket, AccessDenied, ...) in the failure's cause chain, if the server sent one. */
    public static Optional<String> s3Code(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ErrorResponseException e && e.errorResponse() != null) {
                return Optional.ofNullable(e.errorResponse().code());
            }
        }
        return Optional.empty();
    }
}
