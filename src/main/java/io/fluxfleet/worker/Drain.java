package io.fluxfleet.worker;

import io.fluxfleet.worker.intake.IntakeGate;
import io.fluxfleet.worker.render.SlotPool;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * The graceful end of a worker: intake closes for good, jobs still waiting for a slot are handed
 * back (uncommitted, no attempt spent), and the jobs in flight get up to the grace period to
 * render, upload, publish their terminal event and be acknowledged. The exit code says whether
 * they all made it.
 */
@ApplicationScoped
public class Drain {

    /** Every job in flight finished and was acknowledged. */
    public static final int DRAINED = 0;
    /** The grace period ended with jobs in flight: they are redelivered to another worker. */
    public static final int DRAIN_INCOMPLETE = 3;

    private static final Logger LOG = Logger.getLogger(Drain.class);

    @Inject
    IntakeGate gate;

    @Inject
    SlotPool slots;

    @Inject
    InFlightJobs inFlight;

    /** Drains within grace; returns {@link #DRAINED} or {@link #DRAIN_INCOMPLETE}. */
    public int drain(Duration grace) {
        gate.stop();
        slots.stopAcquiring();
        LOG.infof("draining: %d job(s) in flight, grace %s", inFlight.size(), grace);
        try {
            if (inFlight.awaitEmpty(grace)) {
                LOG.info("drained: every job in flight finished");
                return DRAINED;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.warnf("drain incomplete: %d job(s) still in flight after %s; they will be redelivered",
                inFlight.size(), grace);
        return DRAIN_INCOMPLETE;
    }
}
