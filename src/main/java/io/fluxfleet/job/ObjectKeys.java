package io.fluxfleet.job;

/**
 * Object keys derived only from the key prefix and the jobId, so a redelivered job writes (or
 * finds) the very same objects: that is what makes at-least-once intake an exactly-once effect.
 * Keys look like {@code renders/<jobId>.png} and {@code renders/<jobId>.json}.
 */
public final class ObjectKeys {

    /** Prefix used when a request names none. */
    public static final String DEFAULT_PREFIX = "renders";
    /** Extension of the metadata sidecar; no image format uses it, so the two never collide. */
    public static final String SIDECAR_EXTENSION = "json";

    private ObjectKeys() {
    }

    /**
     * {@code <prefix>/<jobId>.<extension>}, e.g. {@code renders/job-42.png}.
     *
     * @param prefix null or empty for {@link #DEFAULT_PREFIX}; trailing slashes are ignored
     * @throws IllegalArgumentException if the prefix or the jobId is unsafe
     */
    public static String imageKey(String prefix, String jobId, OutputFormat format) {
        if (format == null) {
            throw new IllegalArgumentException("format is required");
        }
        return base(prefix, jobId) + "." + format.extension();
    }

    /** {@code <prefix>/<jobId>.json}: the metadata written next to the image. */
    public static String sidecarKey(String prefix, String jobId) {
        return base(prefix, jobId) + "." + SIDECAR_EXTENSION;
    }

    /**
     * {@code <prefix>/<jobId>+<file>}, e.g. {@code renders/job-42+trace.json}: a file of the job's
     * sampler trace. '+' never occurs in a jobId, so no other job's image or sidecar key can be equal.
     */
    public static String traceKey(JobRequest request, String file) {
        return base(request.output().keyPrefix(), request.jobId()) + "+" + file;
    }

    public static String imageKey(JobRequest request) {
        return imageKey(request.output().keyPrefix(), request.jobId(), request.output().format());
    }

    public static String sidecarKey(JobRequest request) {
        return sidecarKey(request.output().keyPrefix(), request.jobId());
    }

    private static String base(String prefix, String jobId) {
        if (!SafeNames.isValidJobId(jobId)) {
            throw new IllegalArgumentException("unsafe jobId for an object key: " + jobId);
        }
        String effectivePrefix = prefix == null || prefix.isEmpty() ? DEFAULT_PREFIX : prefix;
        String problem = SafeNames.keyPrefixProblem(effectivePrefix);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        return SafeNames.normaliseKeyPrefix(effectivePrefix) + "/" + jobId;
    }
}
