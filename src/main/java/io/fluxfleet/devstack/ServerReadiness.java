package io.fluxfleet.devstack;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;

/** Waits until a starting server answers, or says why it did not (with the tail of its log). */
final class ServerReadiness {

    /** One attempt to talk to the server; true when it answered as a serving one does. */
    @FunctionalInterface
    interface Probe {
        boolean ready() throws Exception;
    }

    private ServerReadiness() {
    }

    /** Probes every 250 ms until the probe passes; fails when the server exits or the timeout passes. */
    static void await(ServerProcess server, String probeDescription, Duration timeout, Probe probe) throws IOException {
        Instant deadline = Instant.now().plus(timeout);
        Exception lastFailure = null;
        while (true) {
            if (!server.isAlive()) {
                String tail = server.logTail(40);
                throw new ServerStartException(server.name() + " exited (code "
                        + server.exitCode().map(String::valueOf).orElse("?") + ") before it answered "
                        + probeDescription + "\n" + tail, tail.contains("Address already in use"));
            }
            try {
                if (probe.ready()) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + server.name(), e);
            } catch (Exception e) {
                lastFailure = e;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new ServerStartException(server.name() + " did not answer " + probeDescription + " within "
                        + timeout.toSeconds() + " s (last probe error: " + lastFailure + ")\n"
                        + server.logTail(40), false);
            }
            pause(Duration.ofMillis(250));
        }
    }

    static void pause(Duration duration) throws IOException {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
