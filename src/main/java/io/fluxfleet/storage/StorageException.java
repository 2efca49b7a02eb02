package io.fluxfleet.storage;

/** The object store could not do what was asked (unreachable, refused, ...). */
public final class StorageException extends RuntimeException {

    public StorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
