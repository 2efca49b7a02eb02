package io.fluxfleet.worker;

import io.quarkus.runtime.LaunchMode;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * SIGTERM (Kubernetes stopping the pod) is a normal end of a worker: it stops taking jobs
 * ({@link RenderOrchestrator} refuses new records, SmallRye closes the consumers), lets the render in
 * flight finish within {@code fluxfleet.shutdown.grace} ({@link SlotPool}), commits, and exits 0 instead
 * of the JVM's 143. Installed in the packaged application only (not in tests or dev mode).
 */
@ApplicationScoped
public class GracefulShutdown {

    private static final Logger LOG = Logger.getLogger(GracefulShutdown.class);

    void onStart(@Observes StartupEvent event) {
        if (LaunchMode.current() != LaunchMode.NORMAL) {
            return;
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), signal -> {
                LOG.info("SIGTERM: stopping gracefully");
                Quarkus.asyncExit(0);
            });
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warnf("cannot handle SIGTERM (%s); the JVM's default applies (exit 143)", e.toString());
        }
    }
}
