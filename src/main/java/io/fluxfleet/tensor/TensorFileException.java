package io.fluxfleet.tensor;

/** A weight file that cannot be used: missing, truncated, malformed, or of an unsupported type. */
public class TensorFileException extends RuntimeException {
    public TensorFileException(String message) {
        super(message);
    }

    public TensorFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
