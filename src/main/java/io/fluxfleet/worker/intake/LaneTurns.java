package io.fluxfleet.worker.intake;

import io.fluxfleet.routing.Lane;
import io.fluxfleet.routing.LaneScheduler;
import io.fluxfleet.worker.FleetConfig;
import io.fluxfleet.worker.HandBack;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.EnumMap;
import java.util.Map;

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
    MeterRegistry registry;

    private LaneScheduler scheduler;
    private final Map<Lane, Counter> starts = new EnumMap<>(Lane.class);

    @PostConstruct
    void init() {
        scheduler = new LaneScheduler(config.slots().size(), config.lanes().lowShare());
        for (Lane lane : Lane.values()) {
            starts.put(lane, Counter.builder("fluxfleet.lane.starts").tag("lane", lane.wireName())
                    .description("Jobs of this lane that got a render turn").register(registry));
            Gauge.builder("fluxfleet.lane.waiting", scheduler, s -> s.waiting(lane)).tag("lane", lane.wireName())
                    .description("Job records of this lane in hand, waiting for a render turn").register(registry);
        }
    }

    /** Waits for the record's turn; a record still waiting when the worker stops is handed back. */
    public LaneScheduler.Turn await(Lane lane, String key) throws InterruptedException {
        LaneScheduler.Turn turn = scheduler.await(lane, gate::stopped);
        if (turn == null) {
            throw new HandBack("worker stopping: record " + key + " of the " + lane.wireName()
                    + " lane handed back uncommitted");
        }
        starts.get(lane).increment();
        return turn;
    }
}
