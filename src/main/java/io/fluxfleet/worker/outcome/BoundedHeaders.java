package io.fluxfleet.worker.outcome;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Size bounds for what a worker copies into retry and dead-letter headers. A header that embeds a request or
 * an error message must not grow with its input: a record over the producer's max.request.size is refused, the
 * send fails, and the job's record could never be acknowledged.
 */
final class BoundedHeaders {

    /** The request copy on a DLQ record: enough to identify and replay a valid request (64 KiB at most). */
    static final int REQUEST_COPY_BYTES = 8 * 1024;
    /** A reason message header. */
    static final int MESSAGE_BYTES = 2 * 1024;
    /** The JSON array of attempt errors (each message is cut when the error is recorded). */
    static final int ERRORS_BYTES = 32 * 1024;

    private BoundedHeaders() {
    }

    /** The first bytes of {@code value}, at most {@code max}, never ending inside a UTF-8 sequence. */
    static byte[] cut(byte[] value, int max) {
        if (value.length <= max) {
            return value;
        }
        int end = max;
        // Step back over continuation bytes (10xxxxxx) so that a multi-byte character is not split.
        while (end > 0 && (value[end] & 0xC0) == 0x80) {
            end--;
        }
        return Arrays.copyOf(value, end);
    }

    static byte[] cut(String value, int max) {
        return cut(value.getBytes(StandardCharsets.UTF_8), max);
    }
}
