package io.fluxfleet.job;

import java.util.regex.Pattern;

/**
 * The two forms of a LoRA {@code source}: a library name (path segments of A-Z a-z 0-9 . _ -,
 * separated by "/", no "." or ".." segment, at most 256 characters) resolved under the fleet's
 * adapter library prefix, or an {@code s3://bucket/key} URI whose bucket the fleet allows.
 */
public final class LoraSources {

    public static final String S3_SCHEME = "s3://";
    public static final int MAX_LENGTH = 256;
    public static final String NAME_REGEX = "^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$";
    private static final Pattern NAME = Pattern.compile(NAME_REGEX);

    /** A parsed s3:// URI. */
    public record S3Uri(String bucket, String key) {}

    private LoraSources() {}

    /** Why this source is malformed, or null when it is well formed. */
    public static String problem(String source) {
        if (source.isEmpty() || source.length() > MAX_LENGTH) {
            return "source must be 1-" + MAX_LENGTH + " characters";
        }
        if (source.startsWith(S3_SCHEME)) {
            S3Uri uri = parseUri(source);
            return uri == null ? "source '" + source + "' is not s3://bucket/key with a valid bucket name and a safe key"
                    : null;
        }
        if (!NAME.matcher(source).matches() || source.contains("..")) {
            return "source '" + source + "' is neither a library name (letters, digits, . _ - and / between"
                    + " segments) nor an s3:// URI";
        }
        return null;
    }

    /** The bucket and key of an s3:// source, or null when it is not a valid one. */
    public static S3Uri parseUri(String source) {
        if (!source.startsWith(S3_SCHEME)) {
            return null;
        }
        String rest = source.substring(S3_SCHEME.length());
        int slash = rest.indexOf('/');
        if (slash < 1 || slash == rest.length() - 1) {
            return null;
        }
        String bucket = rest.substring(0, slash);
        String key = rest.substring(slash + 1);
        if (!SafeNames.isValidBucket(bucket) || !NAME.matcher(key).matches() || key.contains("..")) {
            return null;
        }
        return new S3Uri(bucket, key);
    }
}
