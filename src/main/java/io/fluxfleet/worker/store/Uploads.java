package io.fluxfleet.worker.store;

import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.storage.StorageException;
import io.fluxfleet.worker.FleetConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/** PUTs with bounded retries and backoff; the bytes stay in memory meanwhile. */
@ApplicationScoped
public class Uploads {

    private static final Logger LOG = Logger.getLogger(Uploads.class);

    @Inject
    FleetConfig config;

    @Inject
    ObjectStore store;

    /** One object to write. */
    public record Upload(String bucket, String key, byte[] bytes, String contentType) {
    }

    /**
     * One PUT, retried up to upload-attempts times but never past the deadline (System.nanoTime);
     * the last failure propagates.
     */
    public void put(Upload upload, long deadlineNanos) {
        String bucket = upload.bucket();
        String key = upload.key();
        int attempts = Math.max(1, config.reliability().uploadAttempts());
        long pause = Math.max(1, config.reliability().uploadBackoff().toMillis());
        for (int i = 1; ; i++) {
            try {
                store.put(bucket, key, upload.bytes(), upload.contentType());
                return;
            } catch (StorageException e) {
                if (i >= attempts || System.nanoTime() + pause * 1_000_000 > deadlineNanos) {
                    throw new StorageException("upload failed " + i + " times: " + e.getMessage(), e);
                }
                LOG.warnf("upload of s3://%s/%s failed (attempt %d of %d), retrying in %d ms: %s", bucket, key, i,
                        attempts, pause, e.getMessage());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(8_000, pause * 2);
            }
        }
    }
}
