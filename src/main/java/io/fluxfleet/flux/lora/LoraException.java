package io.fluxfleet.flux.lora;

/**
 * An adapter that cannot be used: not found, not fitting the model (unknown keys, wrong shapes,
 * text-encoder layers, not a safetensors file) or too large. Always the job's fault, never the
 * worker's: callers fail that job permanently and keep serving.
 */
public class LoraException extends RuntimeException {

    public enum Kind { NOT_FOUND, INCOMPATIBLE, TOO_LARGE }

    private final Kind kind;

    public LoraException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public LoraException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
