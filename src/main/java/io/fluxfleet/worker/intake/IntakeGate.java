package io.fluxfleet.worker.intake;

import io.fluxfleet.worker.render.EngineFailures;
import io.fluxfleet.worker.render.SlotPool;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.reactive.messaging.ChannelRegistry;
import io.smallrye.reactive.messaging.PausableChannel;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * No intake before the worker can render. The three lanes' jobs channels are pausable and start
 * paused with a late subscription (application.properties), and {@link RetryIntake} follows
 * {@link #isOpen()}: their consumers join their groups only when this gate first opens, once a slot is
 * ready and the attempts and control views have caught
 * up. Later the gate pauses them again (the consumers keep their partitions, fetch nothing) while
 * every slot is broken or liveness is DOWN, and for good once the worker stops.
 */
@ApplicationScoped
public class IntakeGate {

    private static final Logger LOG = Logger.getLogger(IntakeGate.class);
    static final List<String> CHANNELS = List.of("jobs-high", "jobs", "jobs-low"); // retries: RetryIntake follows isOpen()

    @Inject
    ChannelRegistry channels;

    @Inject
    SlotPool slots;

    @Inject
    AttemptLog attempts;

    @Inject
    CancelRequests cancels;

    @Inject
    EngineFailures engine;

    private ScheduledExecutorService checker;
    private volatile boolean stopped;
    private volatile boolean open;

    void onStart(@Observes @Priority(20) StartupEvent event) {
        checker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "fluxfleet-intake-gate");
            t.setDaemon(true);
            return t;
        });
        checker.scheduleWithFixedDelay(this::update, 0, 200, TimeUnit.MILLISECONDS);
    }

    /** Why intake is closed now, or null when the worker can render. */
    public String closedBecause() {
        if (stopped) {
            return "the worker is stopping";
        }
        if (!slots.anyReady()) {
            return slots.loadingDone() ? "every slot is broken" : "no slot is ready yet";
        }
        if (!engine.live()) {
            return "liveness is DOWN (device errors)";
        }
        if (!attempts.caughtUp() || !cancels.caughtUp()) {
            return "the attempts and control views are catching up";
        }
        return null;
    }

    public boolean isOpen() {
        return open;
    }

    /** Waits while intake is closed; false when the worker stops. */
    public boolean awaitOpen() throws InterruptedException {
        while (!stopped && closedBecause() != null) {
            Thread.sleep(100);
        }
        return !stopped;
    }

    /** True once the worker stops: no job starts any more. */
    public boolean stopped() {
        return stopped;
    }

    /** Closes intake for good (shutdown): records already taken finish, no new one starts. */
    public void stop() {
        stopped = true;
        update();
    }

    void onStop(@Observes @Priority(1) ShutdownEvent event) {
        stop();
        if (checker != null) {
            checker.shutdownNow();
        }
    }

    private synchronized void update() {
        try {
            String reason = closedBecause();
            boolean shouldOpen = reason == null;
            if (shouldOpen == open) {
                return;
            }
            List<PausableChannel> pausable = CHANNELS.stream().map(channels::getPausable)
                    .filter(java.util.Objects::nonNull).toList();
            if (pausable.size() < CHANNELS.size()) {
                return; // the channels are not wired yet: next time
            }
            for (PausableChannel channel : pausable) {
                if (shouldOpen) {
                    channel.resume();
                } else {
                    channel.pause();
                }
            }
            open = shouldOpen;
            LOG.infof(shouldOpen ? "intake open: a slot is ready and the views have caught up"
                    : "intake paused: %s", reason);
        } catch (RuntimeException e) {
            LOG.warnf("intake gate: %s", e.toString());
        }
    }
}
