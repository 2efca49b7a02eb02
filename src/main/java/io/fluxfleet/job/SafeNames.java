package io.fluxfleet.job;

import java.util.regex.Pattern;

/**
 * Rules for strings that end up in Kafka keys, S3 bucket names and S3 object keys. The regex
 * strings are copied verbatim into the JSON Schemas under docs/schemas (a test checks it).
 */
public final class SafeNames {

    public static final int MAX_JOB_ID_LENGTH = 128;
    /** jobId: the idempotency key, the Kafka key and part of the object key. */
    public static final String JOB_ID_REGEX = "^[A-Za-z0-9._:-]{1,128}$";

    /** tenant: short enough for metric tags and quota keys. */
    public static final String TENANT_REGEX = "^[A-Za-z0-9._:-]{1,64}$";

    /** S3 bucket naming rules (3-63 chars, lower case, digits, dots, hyphens, no ".."). */
    public static final String BUCKET_REGEX = "^(?!.*\\.\\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$";

    public static final int MAX_KEY_PREFIX_LENGTH = 512;
    /**
     * keyPrefix: "/"-separated segments of letters, digits and . _ = + -, no "..", no leading "/",
     * no empty segment; trailing slashes are tolerated and stripped.
     */
    public static final String KEY_PREFIX_REGEX = "^(?!.*\\.\\.)[A-Za-z0-9._=+-]+(/[A-Za-z0-9._=+-]+)*/*$";

    private static final Pattern JOB_ID = Pattern.compile(JOB_ID_REGEX);
    private static final Pattern TENANT = Pattern.compile(TENANT_REGEX);
    private static final Pattern BUCKET = Pattern.compile(BUCKET_REGEX);
    private static final Pattern KEY_PREFIX = Pattern.compile(KEY_PREFIX_REGEX);

    private SafeNames() {
    }

    public static boolean isValidJobId(String jobId) {
        return jobId != null && JOB_ID.matcher(jobId).matches();
    }

    public static boolean isValidTenant(String tenant) {
        return tenant != null && TENANT.matcher(tenant).matches();
    }

    public static boolean isValidBucket(String bucket) {
        return bucket != null && BUCKET.matcher(bucket).matches();
    }

    /**
     * Why this key prefix is unsafe, or null when it is fine. The specific checks come first so the
     * message names the actual problem (traversal, absolute key, backslash, control character).
     */
    public static String keyPrefixProblem(String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return "keyPrefix is empty; leave it out to get the default \"" + ObjectKeys.DEFAULT_PREFIX + "\"";
        }
        if (prefix.length() > MAX_KEY_PREFIX_LENGTH) {
            return "keyPrefix is longer than " + MAX_KEY_PREFIX_LENGTH + " characters";
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return "keyPrefix contains a control character at index " + i;
            }
        }
        if (prefix.indexOf('\\') >= 0) {
            return "keyPrefix contains a backslash; use \"/\" between segments";
        }
        if (prefix.startsWith("/")) {
            return "keyPrefix starts with \"/\"; object keys are relative to the bucket";
        }
        if (prefix.contains("..")) {
            return "keyPrefix contains \"..\"";
        }
        if (prefix.contains("//")) {
            return "keyPrefix contains an empty segment (\"//\")";
        }
        if (!KEY_PREFIX.matcher(prefix).matches()) {
            return "keyPrefix may only contain letters, digits and . _ = + - in \"/\"-separated segments";
        }
        return null;
    }

    /** A safe prefix without its trailing slashes; call only when {@link #keyPrefixProblem} is null. */
    static String normaliseKeyPrefix(String prefix) {
        int end = prefix.length();
        while (end > 0 && prefix.charAt(end - 1) == '/') {
            end--;
        }
        return prefix.substring(0, end);
    }
}
