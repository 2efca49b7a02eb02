package io.fluxfleet.worker;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

/**
 * SIGTERM (Kubernetes stopping the pod) is a normal end of a worker: it drains ({@link Drain}: no
 * new job, the jobs in flight finish within {@code fluxfleet.shutdown.grace}) and exits with
 * {@link Drain#DRAINED} (0) or {@link Drain#DRAIN_INCOMPLETE} (3) instead of the JVM's 143.
 * Installed in the packaged application only (not in tests or dev mode).
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class);

    @Inject
    Drain drain;

    @Inject
    FleetConfig config;

    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                LOG.info("SIGTERM: draining");
                Thread drainer = new Thread(() -> Quarkus.asyncExit(drain.drain(config.shutdown().grace())),
                        "fluxfleet-drain");
                drainer.start();
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warnf("cannot handle SIGTERM (%s); the JVM's default applies (exit 143)", e.toString());
        }
    }
}
