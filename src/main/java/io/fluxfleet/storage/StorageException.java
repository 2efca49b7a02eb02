package io.fluxfleet.storage;

/**
 * The object store could not do what was asked (unreachable, refused, ...). {@link #permanent()} says
 * whether retrying can help ({@link StorageErrors}); the message names the bucket and key.
 */
public final class StorageException extends RuntimeException {

    private final StorageErrors.Kind kind;

    public StorageException(String message, Throwable cause) {
        super(message, cause);
        this.kind = StorageErrors.classify(cause);
    }

    /** Transient (connection, 5xx, throttling) or permanent (NoSuchBucket, AccessDenied, other 4xx). */
    public StorageErrors.Kind kind() {
        return kind;
    }

    /** True when retrying cannot succeed until the bucket, credentials or policy change. */
    public boolean permanent() {
        return kind == StorageErrors.Kind.PERMANENT;
    }
}
