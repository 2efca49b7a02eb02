package io.fluxfleet.worker;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import io.fluxfleet.worker.intake.JobIntake;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Settings that must agree with each other; a mismatch stops the worker at startup with the fix
 * in the message, instead of a fleet that misbehaves under load.
 */
@ApplicationScoped
public class StartupChecks {

    static final String POOL_SIZE = "smallrye.messaging.worker.render-pool.max-concurrency";
    static final String MAX_AGE = "mp.messaging.incoming.jobs.throttled.unprocessed-record-max-age.ms";

    private static final Logger LOG = Logger.getLogger(StartupChecks.class);

    @Inject
    FleetConfig fleet;

    @Inject
    Config config;

    @Inject
    JobIntake intake;

    @Inject
    WorkerIdentity identity;

    void onStart(@Observes StartupEvent event) {
        int slots = fleet.slots().size();
        int pool = config.getOptionalValue(POOL_SIZE, Integer.class).orElse(-1);
        if (pool != slots) {
            throw new IllegalStateException(POOL_SIZE + " is " + pool + " but fluxfleet.slots has " + slots
                    + " slot(s) " + fleet.slots() + ": set both (e.g. FLUXFLEET_SLOTS=cuda:0,cuda:1 and "
                    + "SMALLRYE_MESSAGING_WORKER_RENDER_POOL_MAX_CONCURRENCY=2), one job in flight per slot");
        }
        long maxAgeMs = config.getOptionalValue(MAX_AGE, Long.class).orElse(60_000L);
        long timeoutMs = fleet.render().timeout().toMillis();
        if (maxAgeMs <= timeoutMs) {
            throw new IllegalStateException(MAX_AGE + " (" + maxAgeMs + " ms) must be larger than "
                    + "fluxfleet.render.timeout (" + timeoutMs + " ms): a render longer than it makes SmallRye "
                    + "mark the jobs channel unhealthy");
        }
        intake.validator(); // creates the bean now: a bad default acceleration fails startup
        LOG.infof("worker %s: %d slot(s) %s, default acceleration %s, progress every %d step(s), render timeout %s",
                identity.id(), slots, fleet.slots(), fleet.defaultAcceleration(), fleet.progress().everySteps(),
                fleet.render().timeout());
    }
}
