package io.fluxfleet.worker;

import io.fluxfleet.worker.intake.JobIntake;
import io.fluxfleet.worker.outcome.Outcomes;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
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
        verify(fleet, config);
        intake.validator(); // creates the bean now: a bad default acceleration fails startup
        LOG.infof("worker %s: %d slot(s) %s, default acceleration %s, progress every %d step(s), render timeout %s,"
                + " shutdown grace %s", identity.id(), fleet.slots().size(), fleet.slots(), fleet.defaultAcceleration(),
                fleet.progress().everySteps(), fleet.render().timeout(), fleet.shutdown().grace());
    }

    /** Throws IllegalStateException naming the fix when the settings disagree. */
    static void verify(FleetConfig fleet, Config config) {
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
        Duration needed = inFlightBudget(fleet);
        if (fleet.shutdown().grace().compareTo(needed) < 0) {
            throw new IllegalStateException("fluxfleet.shutdown.grace (" + fleet.shutdown().grace() + ") is shorter"
                    + " than a job in flight may take: render timeout " + fleet.render().timeout() + " + upload budget "
                    + fleet.reliability().uploadBudget() + " + terminal-event publish budget "
                    + Outcomes.publishBudget(fleet) + " = " + needed + "; every rollout would kill renders. Raise it"
                    + " (FLUXFLEET_SHUTDOWN_GRACE) and terminationGracePeriodSeconds with it");
        }
    }

    /** The longest one job may stay in flight: render, upload, terminal event with its retries. */
    public static Duration inFlightBudget(FleetConfig fleet) {
        return fleet.render().timeout().plus(fleet.reliability().uploadBudget()).plus(Outcomes.publishBudget(fleet));
    }
}
