package io.fluxfleet.worker.intake;

import io.fluxfleet.routing.Lane;
import io.fluxfleet.routing.LaneScheduler;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.FleetMetrics;
import io.fluxfleet.worker.HandBack;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The worker's render turns by lane: a job record waits here until the {@link LaneScheduler} gives it
 * a turn (one per slot, higher lanes first, the low lane's share). Metrics per lane:
 * {@code fluxfleet_lane_starts_total{lane}} and {@code fluxfleet_lane_waiting{lane}}.
 */
@ApplicationScoped
public class LaneTurns {

    @Inject
    FleetConfig config;

    @Inject
    IntakeGate gate;

    @Inject
    FleetMetrics metrics;

    private LaneScheduler scheduler;

    @PostConstruct
    void init() {
        scheduler = new LaneScheduler(config.slots().size(), config.lanes().lowShare());
        for (Lane lane : Lane.values()) {
            metrics.laneWaiting(lane.wireName(), scheduler, s -> s.waiting(lane));
        }
    }

    /** Waits for the record's turn; a record still waiting when the worker stops is handed back. */
    public LaneScheduler.Turn await(Lane lane, String key) throws InterruptedException {
        LaneScheduler.Turn turn = scheduler.await(lane, gate::stopped);
        if (turn == null) {
            throw new HandBack("worker stopping: record " + key + " of the " + lane.wireName()
                    + " lane handed back uncommitted");
        }
        metrics.laneStarted(lane.wireName());
        return turn;
    }
}
