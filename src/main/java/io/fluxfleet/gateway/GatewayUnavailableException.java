package io.fluxfleet.gateway;

/** The gateway cannot answer now (state rebuilding, broker unreachable): 503 with Retry-After. */
public class GatewayUnavailableException extends RuntimeException {
    public GatewayUnavailableException(String message) {
        super(message);
    }

    public GatewayUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
