package io.fluxfleet.worker;

import io.fluxfleet.storage.ObjectStore;
import io.minio.MinioClient;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.jboss.logging.Logger;

/**
 * The worker's {@link ObjectStore}, over the MinioClient quarkus-minio builds from
 * {@code quarkus.minio.*}; makes sure the default bucket exists (readiness waits for it).
 */
@ApplicationScoped
public class StorageSetup {

    private static final Logger LOG = Logger.getLogger(StorageSetup.class);

    @Inject
    FleetConfig config;

    @Inject
    MinioClient minio;

    private volatile boolean bucketReady;
    private volatile String problem = "not checked yet";

    @Produces
    @Singleton
    ObjectStore objectStore() {
        return new ObjectStore(minio);
    }

    void onStart(@Observes StartupEvent event) {
        Thread thread = new Thread(this::ensureBucket, "fluxfleet-bucket-setup");
        thread.setDaemon(true);
        thread.start();
    }

    private void ensureBucket() {
        String bucket = config.storage().bucket();
        ObjectStore store = new ObjectStore(minio);
        for (int attempt = 1; !bucketReady; attempt++) {
            try {
                if (config.storage().createBucket()) {
                    if (store.ensureBucket(bucket)) {
                        LOG.infof("created bucket %s", bucket);
                    }
                    bucketReady = true;
                } else {
                    bucketReady = minio.bucketExists(io.minio.BucketExistsArgs.builder().bucket(bucket).build());
                    if (!bucketReady) {
                        problem = "bucket " + bucket + " does not exist (fluxfleet.storage.create-bucket=false)";
                    }
                }
                if (bucketReady) {
                    problem = null;
                }
            } catch (Exception e) {
                problem = "bucket " + bucket + ": " + e.getMessage();
                if (attempt == 1 || attempt % 10 == 0) {
                    LOG.warnf("storage not usable yet (attempt %d): %s", attempt, problem);
                }
            }
            if (!bucketReady) {
                try {
                    Thread.sleep(Math.min(5000, 250L * attempt));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    public boolean bucketReady() {
        return bucketReady;
    }

    /** Why the bucket is not ready; null once it is. */
    public String problem() {
        return problem;
    }
}
