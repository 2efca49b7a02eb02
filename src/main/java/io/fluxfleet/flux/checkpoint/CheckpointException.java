package io.fluxfleet.flux.checkpoint;

/** A checkpoint that does not fit the model: missing or mis-shaped tensors, missing files. */
public class CheckpointException extends RuntimeException {
    public CheckpointException(String message) {
        super(message);
    }

    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
