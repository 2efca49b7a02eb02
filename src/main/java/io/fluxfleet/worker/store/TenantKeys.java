package io.fluxfleet.worker.store;

import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.ObjectKeys;
import io.fluxfleet.worker.JobFailure;
import io.fluxfleet.worker.intake.Job;

/**
 * A job's object keys, refused (permanently, INVALID_OUTPUT) unless the bucket is one the job's
 * tenant may use and the key lies under one of its prefixes. Intake already checks the request;
 * this is the last check before any read or write, so a request validated under other settings
 * (a changed tenants file, a retried record) still cannot touch another tenant's objects.
 */
final class TenantKeys {

    private TenantKeys() {
    }

    static String imageKey(Job job) {
        return owned(job, ObjectKeys.imageKey(job.request()));
    }

    static String sidecarKey(Job job) {
        return owned(job, ObjectKeys.sidecarKey(job.request()));
    }

    static String traceKey(Job job, String file) {
        return owned(job, ObjectKeys.traceKey(job.request(), file));
    }

    private static String owned(Job job, String key) {
        if (!job.tenant().id().equals(job.request().tenant()) || !job.tenant().allowsBucket(job.request().output().bucket())
                || !job.tenant().ownsKey(key)) {
            throw JobFailure.permanent(ErrorCode.INVALID_OUTPUT, "s3://" + job.bucket() + "/" + key
                    + " is outside the buckets and key prefixes of tenant " + job.tenant().id() + "; refused");
        }
        return key;
    }
}
