package io.fluxfleet.worker.render;

import io.fluxfleet.job.JobRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The seed a job renders with: its own, or, when it names none, one derived from its jobId, so that
 * every render of a job (a redelivery, a retry, a duplicate after a rebalance) draws the same noise
 * and, on the same engine and precision, produces the same bytes.
 *
 * <p>Formula (docs/reliability.md): the first 8 bytes of SHA-256 of the UTF-8 string
 * {@code "fluxfleet-seed:" + jobId}, read as a big-endian long, with the sign bit cleared.
 */
public final class Seeds {

    private Seeds() {
    }

    public static long of(JobRequest request) {
        return request.seed() != null ? request.seed() : fromJobId(request.jobId());
    }

    public static long fromJobId(String jobId) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("fluxfleet-seed:" + jobId).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong() & Long.MAX_VALUE;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
