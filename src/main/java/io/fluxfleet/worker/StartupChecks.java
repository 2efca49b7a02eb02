package io.fluxfleet.worker;

import io.fluxfleet.worker.intake.JobIntake;
import io.fluxfleet.worker.outcome.Outcomes;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import io.fluxfleet.routing.Lane;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Settings that must agree with each other; a mismatch stops the worker at startup with the fix
 * in the message, instead of a fleet that misbehaves under load.
 */
@ApplicationScoped
public class StartupChecks {

    static final List<String> LANE_POOLS = List.of("render-pool-high", "render-pool", "render-pool-low");
    static final Map<String, String> LANE_CHANNELS = Map.of("jobs-high", "high", "jobs", "normal", "jobs-low", "low");
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

    @Inject
    io.fluxfleet.routing.JobTopics jobTopics;

    void onStart(@Observes StartupEvent event) {
        verify(fleet, config);
        verifyLanes(fleet, config);
        if (!config.getOptionalValue("fluxfleet.gateway.only", Boolean.class).orElse(false)) {
            RoutingSetup.verifyPool(fleet, jobTopics); // a worker: its pool must be the catalog's
        }
        intake.validator(); // creates the bean now: a bad default acceleration fails startup
        LOG.infof("worker %s: %d slot(s) %s, default acceleration %s, progress every %d step(s), render timeout %s,"
                + " shutdown grace %s", identity.id(), fleet.slots().size(), fleet.slots(), fleet.defaultAcceleration(),
                fleet.progress().everySteps(), fleet.render().timeout(), fleet.shutdown().grace());
    }

    /** Throws IllegalStateException naming the fix when the settings disagree. */
    static void verify(FleetConfig fleet, Config config) {
        int slots = fleet.slots().size();
        for (String name : LANE_POOLS) {
            String key = "smallrye.messaging.worker." + name + ".max-concurrency";
            int pool = config.getOptionalValue(key, Integer.class).orElse(-1);
            if (pool != slots + 1) {
                throw new IllegalStateException(key + " is " + pool + " but fluxfleet.slots has " + slots + " slot(s) "
                        + fleet.slots() + ": each lane's pool needs one thread per slot plus one whose record waits "
                        + "for the next turn (e.g. FLUXFLEET_SLOTS=cuda:0,cuda:1 and SMALLRYE_MESSAGING_WORKER_"
                        + name.toUpperCase(java.util.Locale.ROOT).replace('-', '_') + "_MAX_CONCURRENCY=3)");
            }
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

    /** The lane channels read exactly the lanes of this worker's pool, as {@link Lane} names them. */
    static void verifyLanes(FleetConfig fleet, Config config) {
        String pool = fleet.pool().topic();
        for (Map.Entry<String, String> channel : LANE_CHANNELS.entrySet()) {
            Lane lane = Lane.valueOf(channel.getValue().toUpperCase(java.util.Locale.ROOT));
            String key = "mp.messaging.incoming." + channel.getKey() + ".topic";
            String topic = config.getOptionalValue(key, String.class).orElse("");
            if (!topic.equals(lane.topicOf(pool))) {
                throw new IllegalStateException(key + " is '" + topic + "' but the " + lane.wireName() + " lane of pool "
                        + pool + " is " + lane.topicOf(pool) + " (set fluxfleet.pool.topic, not the channel topics)");
            }
        }
    }

    /** The longest one job may stay in flight: render, upload, terminal event with its retries. */
    public static Duration inFlightBudget(FleetConfig fleet) {
        return fleet.render().timeout().plus(fleet.reliability().uploadBudget()).plus(Outcomes.publishBudget(fleet));
    }
}
