package io.fluxfleet.devstack;

import java.io.IOException;

/** A server that did not come up; {@code portTaken} when it died because its port was in use. */
final class ServerStartException extends IOException {

    private final boolean portTaken;

    ServerStartException(String message, boolean portTaken) {
        super(message);
        this.portTaken = portTaken;
    }

    boolean portTaken() {
        return portTaken;
    }
}
